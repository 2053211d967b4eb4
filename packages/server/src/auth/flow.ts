/**
 * The sign-in state machine (contract and usage: types.ts, README.md). An auth session remembers
 * who is signing in and what was proven so far; each step checks one credential:
 *
 *   begin(name)      -> continue [password, passkey]   (the same for unknown names)
 *   begin()          -> continue [passkey]             (username-less)
 *   password ok      -> success ['pwd']                 when no TOTP and the policy is 'any'
 *                    -> continue [totp, backup_code]    when the person has a TOTP
 *                    -> denied 'policy'                 policy 'passkey', or 'mfa' without a TOTP
 *   totp/backup ok   -> success ['pwd','otp','mfa']
 *   passkey ok       -> success ['hwk','user','mfa']    (user verification is required)
 *
 * Any failure ends the auth session (denied); the caller starts again with begin. Password, TOTP
 * and backup-code attempts pass the per-source LoginThrottle and the per-account SoftLock first,
 * and a failure counts in both; passkey steps are never locked. Every outcome is logged with the
 * name, the account and the source address, never a secret.
 */
import { loggedName } from './logged-name.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { shortName } from '@ward/proto';
import type { ServerConfig } from '../config.js';
import { hashBackupCode } from '../credentials/backup-codes.js';
import { matchTotp } from '../credentials/totp.js';
import { authenticationOptions, verifyAuthentication, type RelyingParty } from '../credentials/webauthn.js';
import type { Directory, LoginAccount } from '../directory/types.js';
import type { LoginThrottle } from '../http/login-throttle.js';
import { EphemeralStore } from './ephemeral.js';
import type { SoftLock } from './soft-lock.js';
import type { AuthFlow, AuthState, AuthStep, DeniedCode, Mechanism } from './types.js';

export const AUTH_SESSION_TTL_MS = 5 * 60_000;
const AUTH_SESSION_MAX = 20_000;

export interface AuthLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface Pending {
  /** The name as given (absent: username-less). */
  name?: string;
  /** The account the name resolves to now, if it may sign in. */
  account?: LoginAccount;
  /** Soft-lock key: the account's uuid, or the short name for unknown names. */
  lockKey: string;
  allowed: Mechanism[];
  passkeyChallenge?: string;
  /** Set once the password was right (and a second factor is needed). */
  passwordOk?: LoginAccount;
}

export interface AuthFlowDeps {
  config: Pick<ServerConfig, 'sessionTtl' | 'loginFailureWindow' | 'domain'>;
  directory: Directory;
  rp: RelyingParty;
  throttle: LoginThrottle;
  softLock: SoftLock;
  log: AuthLog;
}

const FAILED = 'the name or the credential is wrong';

export class WardAuthFlow implements AuthFlow {
  private readonly pending = new EphemeralStore<Pending>(AUTH_SESSION_MAX);

  constructor(private readonly d: AuthFlowDeps) {}

  async begin(req: { name?: string; source: string }): Promise<AuthState> {
    const challengeOptions = await authenticationOptions(this.d.rp);
    const pending: Pending = { lockKey: '', allowed: ['passkey'], passkeyChallenge: challengeOptions.challenge };
    if (req.name !== undefined) {
      const name = String(req.name).slice(0, 320);
      const account = this.d.directory.credentialStore.loginAccount(name);
      pending.name = name;
      if (account) pending.account = account;
      pending.lockKey = account ? `a:${account.uuid}` : `n:${shortName(name, this.d.config.domain) ?? name}`;
      pending.allowed = ['password', 'passkey'];
    }
    const session = this.pending.add(pending, Date.now() + AUTH_SESSION_TTL_MS);
    return { state: 'continue', session, allowed: pending.allowed, passkeyOptions: challengeOptions };
  }

  async step(sessionId: string, step: AuthStep, source: string): Promise<AuthState> {
    const p = this.pending.take(sessionId);
    if (!p) return this.denied('session_expired', 'the sign-in expired or is already over; start again');
    const kind = step?.kind;
    if (!p.allowed.includes(kind)) {
      return this.denied('auth_failed', kind === 'password' ? FAILED : `a ${String(kind).slice(0, 20)} step is not expected now; start again`);
    }
    const event = { event: 'login', name: loggedName(p.name, p.account !== undefined), source, mechanism: kind };
    if (kind === 'passkey') return this.passkey(p, (step as { response: AuthenticationResponseJSON }).response, source, event);

    const refused = this.refusedForLock(p, source);
    if (refused) {
      this.d.log.warn({ ...event, outcome: 'locked', retry_after: refused.retryAfterSeconds }, 'sign-in refused: too many failures');
      return refused;
    }
    if (kind === 'password') return this.password(p, (step as { password: string }).password, source, event);
    if (kind === 'totp') return this.totp(p, (step as { code: string }).code, source, event);
    return this.backupCode(p, (step as { code: string }).code, source, event);
  }

  private refusedForLock(p: Pending, source: string): (AuthState & { state: 'denied' }) | undefined {
    const locked = this.d.softLock.lockedFor(p.lockKey);
    if (locked > 0) {
      return this.denied('rate_limited', `too many failed attempts on this account; try again in ${locked} s, or sign in with a passkey`, locked);
    }
    if (this.d.throttle.blocked(source, p.lockKey)) {
      const wait = this.d.config.loginFailureWindow;
      return this.denied('rate_limited', `too many failed attempts from this address; try again in ${wait} s`, wait);
    }
    return undefined;
  }

  private fail(p: Pending, source: string, event: object, reason: string): AuthState {
    const lockedFor = this.d.softLock.failure(p.lockKey);
    this.d.throttle.recordFailure(source, p.lockKey);
    this.d.log.info({ ...event, account: p.account?.spn ?? null, outcome: 'failure', ...(lockedFor ? { locked_for: lockedFor } : {}) }, 'sign-in failed');
    return this.denied('auth_failed', reason);
  }

  private async password(p: Pending, password: string, source: string, event: object): Promise<AuthState> {
    const who = await this.d.directory.verifyPassword(p.name ?? '', typeof password === 'string' ? password : '');
    if (!who) return this.fail(p, source, event, FAILED);
    const account = this.d.directory.credentialStore.loginAccount(who.uuid);
    if (!account) return this.fail(p, source, event, FAILED);
    if (account.kind !== 'person') return this.success(p, account, ['pwd'], source, event);
    const store = this.d.directory.credentialStore;
    const policy = store.effectivePolicy(account.uuid);
    const creds = store.credentials(account.uuid);
    const logPolicy = (why: string) => this.d.log.info({ ...event, account: account.spn, outcome: 'policy', why }, 'sign-in refused by policy');
    if (policy.credentialTypeMinimum === 'passkey') {
      logPolicy('passkey required');
      return this.denied('policy', 'the account policy requires a passkey to sign in');
    }
    if (creds.totp.length > 0) {
      const allowed: Mechanism[] = creds.backupCodeHashes.length > 0 ? ['totp', 'backup_code'] : ['totp'];
      const next: Pending = { ...p, account, allowed, passwordOk: account };
      delete next.passkeyChallenge;
      const session = this.pending.add(next, Date.now() + AUTH_SESSION_TTL_MS);
      return { state: 'continue', session, allowed };
    }
    if (policy.credentialTypeMinimum === 'mfa') {
      logPolicy('mfa required, none enrolled');
      return this.denied('policy', 'the account policy requires a second factor (TOTP or a passkey), and this account has none; ask an administrator for a reset link');
    }
    return this.success(p, account, ['pwd'], source, event);
  }

  private totp(p: Pending, code: string, source: string, event: object): AuthState {
    const account = p.passwordOk!;
    const store = this.d.directory.credentialStore;
    const now = Date.now();
    let reused = false;
    for (const t of store.credentials(account.uuid).totp) {
      const step = matchTotp(t.secret, code, now, t.lastStep);
      if (step !== undefined && store.useTotpStep(account.uuid, t.label, step)) {
        return this.success(p, account, ['pwd', 'otp', 'mfa'], source, { ...event, totp: t.label });
      }
      if (matchTotp(t.secret, code, now, -1) !== undefined) reused = true;
    }
    return this.fail(p, source, event, reused ? 'this code was used already; wait for the next one and start again' : 'the code is wrong');
  }

  private backupCode(p: Pending, code: string, source: string, event: object): AuthState {
    const account = p.passwordOk!;
    const store = this.d.directory.credentialStore;
    const hash = hashBackupCode(account.uuid, code);
    if (hash === undefined || !store.consumeBackupCode(account.uuid, hash)) return this.fail(p, source, event, 'the backup code is wrong or was used already');
    const left = store.credentials(account.uuid).backupCodeHashes.length;
    return this.success(p, account, ['pwd', 'otp', 'mfa'], source, { ...event, backup_codes_left: left });
  }

  private async passkey(p: Pending, response: AuthenticationResponseJSON, source: string, event: object): Promise<AuthState> {
    const store = this.d.directory.credentialStore;
    const deny = (why: string, level: 'info' | 'warn' = 'info') => {
      this.d.log[level]({ ...event, outcome: 'failure', why }, 'passkey sign-in failed');
      return this.denied('auth_failed', 'this passkey is not accepted here');
    };
    if (!p.passkeyChallenge || typeof response !== 'object' || response === null) return deny('no challenge or no response');
    const passkey = store.passkeyById(response.id);
    if (!passkey) return deny('unknown credential');
    const handle = response.response?.userHandle;
    if (handle !== undefined && store.accountByUserHandle(handle) !== passkey.accountUuid) return deny('user handle does not match');
    if (p.name !== undefined && p.account?.uuid !== passkey.accountUuid) return deny('passkey of another account');
    const account = store.loginAccount(passkey.accountUuid);
    if (!account) return deny('account may not sign in');
    const result = await verifyAuthentication(this.d.rp, response, p.passkeyChallenge, passkey);
    if ('problem' in result) {
      const cloned = /counter/i.test(result.problem);
      return deny(cloned ? `signature counter went back: possibly a cloned authenticator (${result.problem})` : result.problem, cloned ? 'warn' : 'info');
    }
    store.recordPasskeyUse(passkey.id, result.counter);
    return this.success({ ...p, lockKey: `a:${account.uuid}` }, account, ['hwk', 'user', 'mfa'], source, { ...event, passkey: passkey.name });
  }

  private success(p: Pending, account: LoginAccount, amr: string[], source: string, event: object): AuthState {
    const policy = this.d.directory.credentialStore.effectivePolicy(account.uuid);
    const session = this.d.directory.createSession(account.uuid, policy.authExpiry ?? this.d.config.sessionTtl, source);
    this.d.softLock.success(p.lockKey);
    this.d.throttle.recordSuccess(source, p.lockKey);
    this.d.log.info({ ...event, account: account.spn, outcome: 'success', amr, session: session.id }, 'signed in');
    return { state: 'success', account: { uuid: account.uuid, name: account.name, spn: account.spn }, session, amr };
  }

  private denied(code: DeniedCode, reason: string, retryAfterSeconds?: number): AuthState & { state: 'denied' } {
    return { state: 'denied', code, reason, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
}
