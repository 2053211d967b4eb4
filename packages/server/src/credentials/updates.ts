/**
 * Credential update sessions (contract and rules: types.ts; usage: ../auth/README.md). A session
 * starts from the person's stored credential set, stages every change in memory, and `commit`
 * writes the staged set in one transaction through Directory.credentialStore, which refuses it if
 * the stored set changed meanwhile. Secrets in a session (a pending TOTP secret, new hashes) live
 * only in this process's memory and never reach a log.
 *
 * Rules checked here:
 *  - a new password passes the quality rules with the policy's minimum length and the person's
 *    names, and is hashed at once (the clear text is not kept);
 *  - a TOTP is staged only after a correct code from the app (its step is remembered, so that code
 *    cannot sign in afterwards); labels are unique per person;
 *  - a passkey is staged only after a verified registration (user verification required); names
 *    are unique per person; a credential id already registered is refused;
 *  - backup codes need a TOTP (they stand in for it); removing the last TOTP drops them;
 *  - commit needs the set to satisfy the strictest policy: 'any' (a password or a passkey, so the
 *    person can sign in at all), 'mfa' (a passkey, or a password and a TOTP), 'passkey'.
 */
import { WardError } from '@ward/proto';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { EphemeralStore } from '../auth/ephemeral.js';
import { hashPassword } from '../directory/password.js';
import type { Actor, Directory, LoginAccount, StoredPasskey, StoredTotp } from '../directory/types.js';
import { hashBackupCode, newBackupCodes } from './backup-codes.js';
import { passwordQualityProblem } from './password-quality.js';
import { qrSvg } from './qr.js';
import { matchTotp, newTotpSecret, otpauthUri, base32Encode } from './totp.js';
import type { CredentialUpdates, CuStatus, ResetToken, TotpEnrolment } from './types.js';
import { registrationOptions, verifyRegistration, type RelyingParty } from './webauthn.js';

/** A CU session lives this long after its last change... */
export const CU_IDLE_MS = 15 * 60_000;
/** ...and never longer than this. */
export const CU_MAX_MS = 60 * 60_000;
/** A signed-in person may open a CU session only this soon after signing in. */
export const REAUTH_WINDOW_SECONDS = 600;
const CU_MAX_SESSIONS = 5_000;
const LABEL_MAX = 64;

interface Cu {
  account: LoginAccount;
  baseFingerprint: string;
  keepSession: string | null;
  /** How it was opened: 'reset_token' or 'self'. */
  via: string;
  createdAt: number;
  passwordHash: string | undefined;
  totp: StoredTotp[];
  passkeys: StoredPasskey[];
  backupCodeHashes: string[];
  pendingTotp?: Uint8Array;
  passkeyChallenge?: string;
}

function bad(message: string): WardError {
  return new WardError('invalid_attribute', message);
}

function checkLabel(value: unknown, what: string): string {
  if (typeof value !== 'string') throw bad(`the ${what} must be text`);
  const label = value.trim();
  if (label.length === 0 || label.length > LABEL_MAX) throw bad(`the ${what} must be 1 to ${LABEL_MAX} characters`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(label)) throw bad(`the ${what} must not contain control characters`);
  return label;
}

export interface CredentialUpdatesDeps {
  directory: Directory;
  rp: RelyingParty;
  /** The public origin, for reset links. */
  origin: string;
  domain: string;
  log: { info(obj: object, msg: string): void };
}

export class WardCredentialUpdates implements CredentialUpdates {
  private readonly sessions = new EphemeralStore<Cu>(CU_MAX_SESSIONS);

  constructor(private readonly d: CredentialUpdatesDeps) {}

  private get store() {
    return this.d.directory.credentialStore;
  }

  createResetToken(actor: Actor, accountRef: string, ttlSeconds?: number): ResetToken {
    const r = this.store.createResetToken(actor, accountRef, ttlSeconds);
    // An update already opened from an earlier link is ended with that link: whoever opened it
    // (perhaps the reason for the new link) must not keep changing the person's credentials.
    this.sessions.deleteWhere((cu) => cu.account.uuid === r.accountUuid && cu.via === 'reset_token');
    this.d.log.info({ event: 'reset_token_created', by: actor.name, account: r.accountUuid, expires_at: new Date(r.expiresAt).toISOString() }, 'credential reset token created');
    return { token: r.token, url: `${this.d.origin}/ui/reset?token=${encodeURIComponent(r.token)}`, expiresAt: r.expiresAt };
  }

  beginWithResetToken(token: string): CuStatus {
    const uuid = this.store.consumeResetToken(token);
    const account = uuid === undefined ? undefined : this.store.loginAccount(uuid);
    if (!account) throw new WardError('not_found', 'this reset link is unknown, used or expired; ask an administrator for a new one');
    return this.open(account, null, 'reset_token');
  }

  beginForSelf(actor: Actor, sessionId: string): CuStatus {
    const session = this.d.directory.getSession(sessionId);
    if (!session || session.accountUuid !== actor.uuid) throw new WardError('unauthenticated', 'sign in to change your credentials');
    if (actor.kind !== 'person') throw new WardError('forbidden', 'only persons manage their credentials here');
    if (Date.now() - session.createdAt > REAUTH_WINDOW_SECONDS * 1000) {
      throw new WardError('unauthenticated', 'sign in again to change your credentials (your sign-in must be less than 10 minutes old)');
    }
    const account = this.store.loginAccount(actor.uuid);
    if (!account) throw new WardError('unauthenticated', 'this account may not sign in');
    return this.open(account, sessionId, 'self');
  }

  private open(account: LoginAccount, keepSession: string | null, via: string): CuStatus {
    const stored = this.store.credentials(account.uuid);
    const now = Date.now();
    const cu: Cu = {
      account,
      baseFingerprint: stored.fingerprint,
      keepSession,
      via,
      createdAt: now,
      passwordHash: stored.passwordHash,
      totp: stored.totp,
      passkeys: stored.passkeys,
      backupCodeHashes: stored.backupCodeHashes,
    };
    const id = this.sessions.add(cu, now + CU_IDLE_MS);
    this.d.log.info({ event: 'credential_update_begin', account: account.spn, via }, 'credential update started');
    return this.statusOf(id, cu);
  }

  /** The live session, its idle expiry pushed back (never past CU_MAX_MS). */
  private cu(id: string): Cu {
    const cu = this.sessions.get(id);
    if (!cu) throw new WardError('not_found', 'this credential update session is unknown or expired; start again');
    this.sessions.setExpiry(id, Math.min(Date.now() + CU_IDLE_MS, cu.createdAt + CU_MAX_MS));
    return cu;
  }

  status(id: string): CuStatus {
    return this.statusOf(id, this.cu(id));
  }

  private statusOf(id: string, cu: Cu): CuStatus {
    const policy = this.store.effectivePolicy(cu.account.uuid);
    const problems: string[] = [];
    const password = cu.passwordHash !== undefined;
    const passkeys = cu.passkeys.length;
    if (policy.credentialTypeMinimum === 'passkey' && passkeys === 0) {
      problems.push('the account policy requires a passkey: add one');
    } else if (policy.credentialTypeMinimum === 'mfa' && passkeys === 0 && !(password && cu.totp.length > 0)) {
      problems.push('the account policy requires two factors: add a passkey, or a password and a TOTP');
    } else if (!password && passkeys === 0) {
      problems.push('set a password or add a passkey, or you cannot sign in');
    }
    return {
      id,
      account: { name: cu.account.name, spn: cu.account.spn, displayname: cu.account.displayname },
      expiresAt: this.sessions.expiresAt(id) ?? Date.now(),
      password,
      totp: cu.totp.map((t) => ({ label: t.label })),
      passkeys: cu.passkeys.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt })),
      backupCodesRemaining: cu.backupCodeHashes.length,
      policy: { credentialTypeMinimum: policy.credentialTypeMinimum, passwordMinimumLength: policy.passwordMinimumLength },
      canCommit: problems.length === 0,
      problems,
    };
  }

  async setPassword(id: string, password: string): Promise<CuStatus> {
    const cu = this.cu(id);
    const policy = this.store.effectivePolicy(cu.account.uuid);
    const problem = passwordQualityProblem(password, { minLength: policy.passwordMinimumLength, names: cu.account.names });
    if (problem) throw new WardError('invalid_password', problem);
    cu.passwordHash = await hashPassword(password);
    return this.status(id);
  }

  totpInit(id: string): TotpEnrolment {
    const cu = this.cu(id);
    const secret = newTotpSecret();
    cu.pendingTotp = secret;
    const uri = otpauthUri(secret, `Ward ${this.d.domain}`, cu.account.spn);
    return { secret: base32Encode(secret), uri, qrSvg: qrSvg(uri) };
  }

  totpVerify(id: string, label: string, code: string): CuStatus {
    const cu = this.cu(id);
    const name = checkLabel(label, 'TOTP label');
    if (!cu.pendingTotp) throw new WardError('conflict', 'start a TOTP enrolment first');
    if (cu.totp.some((t) => t.label === name)) throw new WardError('conflict', `there is already a TOTP labelled "${name}"`);
    const step = matchTotp(cu.pendingTotp, code, Date.now(), 0);
    if (step === undefined) throw bad('the code does not match; check the time on the device and try the next code');
    cu.totp = [...cu.totp, { label: name, secret: cu.pendingTotp, lastStep: step, createdAt: Date.now() }];
    delete cu.pendingTotp;
    return this.status(id);
  }

  totpRemove(id: string, label: string): CuStatus {
    const cu = this.cu(id);
    if (!cu.totp.some((t) => t.label === label)) throw new WardError('not_found', `no TOTP labelled "${String(label).slice(0, LABEL_MAX)}"`);
    cu.totp = cu.totp.filter((t) => t.label !== label);
    if (cu.totp.length === 0) cu.backupCodeHashes = [];
    return this.status(id);
  }

  async passkeyInit(id: string) {
    const cu = this.cu(id);
    const handle = this.store.userHandle(cu.account.uuid);
    const options = await registrationOptions(this.d.rp, { handle, name: cu.account.spn, displayName: cu.account.displayname || cu.account.name }, cu.passkeys);
    cu.passkeyChallenge = options.challenge;
    return options;
  }

  async passkeyFinish(id: string, name: string, response: RegistrationResponseJSON): Promise<CuStatus> {
    const cu = this.cu(id);
    const label = checkLabel(name, 'passkey name');
    const challenge = cu.passkeyChallenge;
    delete cu.passkeyChallenge; // single use, whatever the outcome
    if (!challenge) throw new WardError('conflict', 'start a passkey registration first');
    if (cu.passkeys.some((p) => p.name === label)) throw new WardError('conflict', `there is already a passkey named "${label}"`);
    if (typeof response !== 'object' || response === null) throw bad('the passkey response is missing');
    const result = await verifyRegistration(this.d.rp, response, challenge);
    if ('problem' in result) throw bad(result.problem);
    if (cu.passkeys.some((p) => p.id === result.id) || this.store.passkeyById(result.id)) {
      throw new WardError('conflict', 'this passkey is already registered');
    }
    cu.passkeys = [...cu.passkeys, { ...result, name: label, createdAt: Date.now(), lastUsedAt: null }];
    return this.status(id);
  }

  passkeyRemove(id: string, credentialId: string): CuStatus {
    const cu = this.cu(id);
    if (!cu.passkeys.some((p) => p.id === credentialId)) throw new WardError('not_found', 'no such passkey');
    cu.passkeys = cu.passkeys.filter((p) => p.id !== credentialId);
    return this.status(id);
  }

  async backupCodesGenerate(id: string): Promise<string[]> {
    const cu = this.cu(id);
    if (cu.totp.length === 0) throw new WardError('conflict', 'backup codes stand in for a TOTP: enrol a TOTP first');
    const codes = newBackupCodes();
    cu.backupCodeHashes = codes.map((c) => hashBackupCode(cu.account.uuid, c)!);
    return codes;
  }

  async commit(id: string): Promise<void> {
    const cu = this.cu(id);
    const status = this.statusOf(id, cu);
    if (!status.canCommit) throw new WardError('conflict', status.problems.join('; '));
    this.store.replaceCredentials(
      cu.account.uuid,
      cu.baseFingerprint,
      {
        ...(cu.passwordHash !== undefined ? { passwordHash: cu.passwordHash } : {}),
        totp: cu.totp,
        passkeys: cu.passkeys,
        backupCodeHashes: cu.backupCodeHashes,
      },
      cu.keepSession,
    );
    this.sessions.delete(id);
    // Other open updates of the person started from the old credentials: their commit would be
    // refused anyway; ending them now also ends what an earlier reset link opened.
    this.sessions.deleteWhere((other) => other.account.uuid === cu.account.uuid);
    this.d.log.info(
      { event: 'credential_update_commit', account: cu.account.spn, password: status.password, totp: status.totp.length, passkeys: status.passkeys.length, backup_codes: status.backupCodesRemaining },
      'credentials changed',
    );
  }

  cancel(id: string): void {
    this.sessions.delete(id);
  }
}
