/**
 * The PAM side of the daemon (served on the privileged socket only): password checks online
 * against the IdP and offline against the cached hash of the last good password, the account
 * check (locked, allowed_login_groups), session opening and password changes.
 *
 * Password rules:
 * - Online, the IdP decides, and the login pays for the IdP's one argon2id only: the answer goes
 *   back first, then a success stores a fresh argon2id hash of the password (the "last good
 *   password") in the background. Only the IdP's verdict "wrong password" also drops a cached
 *   hash that matches the refused password (it was changed or revoked at the IdP, so it must not
 *   keep working offline).
 * - An IdP answer without a verdict (`rate_limited` after too many failures, or any other
 *   refusal of the request) is not a wrong password: the hash is left alone and the answer is
 *   UNAVAILABLE. It deliberately does not fall back to the offline hash: an attacker holding an
 *   old password could otherwise make the IdP rate-limit the account and log in with it offline.
 * - Offline (the IdP is unreachable or slower than idp_timeout_ms), the cached hash decides; no
 *   cached hash means UNAVAILABLE (PAM: authinfo unavailable), never a guess. Offline guessing
 *   is throttled per account (throttle.ts).
 * - The password is never logged and never leaves this module except towards the IdP.
 *
 * Locked and expired accounts: the IdP folds both into `locked` when it answers, and gives
 * `expire_at` too, so an account whose expiry passes while the IdP is unreachable is refused
 * from that moment ("account expired"), by this host's clock, offline as online.
 */
import { UnixAuthRequest, type UnixAccount } from '@ward/proto';
import type { CacheStore } from '../cache/store.js';
import type { UnixdConfig } from '../config/keys.js';
import type { IdpSource } from '../idp/source.js';
import type { Logger } from '../log.js';
import type { Connectivity } from '../resolver/connectivity.js';
import { displayName } from '../resolver/render.js';
import { parseName, type Resolver } from '../resolver/resolver.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { OfflineThrottle } from './throttle.js';

export type PamStatus = 'OK' | 'NOT_FOUND' | 'UNAVAILABLE' | 'DENIED' | 'AUTH_FAILED' | 'ERROR';
export interface PamReply {
  status: PamStatus;
  /** For the log and, for DENIED, for the user (PAM shows it in the conversation). */
  message: string;
}

/** What opening a session does once the account is found: the home directory (home-session.ts). */
export type SessionOpener = (account: UnixAccount) => Promise<PamReply>;

/** The IdP's own bound on a unix password (UnixAuthRequest). */
const PASSWORD_MAX = (UnixAuthRequest.properties.password as { maxLength?: number }).maxLength ?? 1024;

export interface PamDeps {
  resolver: Resolver;
  idp: IdpSource;
  store: CacheStore;
  conn: Connectivity;
  cfg: Pick<UnixdConfig, 'allowed_login_groups' | 'name_format'>;
  log: Logger;
  openSession: SessionOpener;
}

export class PamService {
  private readonly allowed: ReadonlySet<string>;
  private readonly throttle = new OfflineThrottle();
  /** Offline hashes being computed after their answer went back (tests and stop() wait on them). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: PamDeps) {
    this.allowed = new Set(d.cfg.allowed_login_groups);
  }

  async authenticate(name: string, password: string): Promise<PamReply> {
    const a = await this.find(name);
    if (!a) return this.unknown('auth', name);
    if (password.length === 0 || password.length > PASSWORD_MAX) {
      return this.reply('auth', name, { status: 'AUTH_FAILED', message: 'authentication failed' });
    }
    if (this.d.conn.online) {
      const out = await this.d.idp.authenticate(a.uuid, password);
      switch (out.kind) {
        case 'accepted': {
          if (out.account?.uuid === a.uuid) this.d.resolver.storeAccount(out.account);
          this.throttle.succeeded(a.uuid);
          this.storeHashAfterReply(out.account?.uuid === a.uuid ? out.account : a, password);
          return this.reply('auth', name, { status: 'OK', message: 'authenticated by the IdP' });
        }
        case 'rejected': {
          await this.forgetIfCached(a, password);
          return this.reply('auth', name, { status: 'AUTH_FAILED', message: 'authentication failed' }, out.why);
        }
        case 'undecided':
          return this.reply('auth', name, {
            status: 'UNAVAILABLE',
            message: out.rateLimited ? 'too many failed password checks for this account; try again later' : 'the IdP did not check the password',
          }, out.why);
        case 'gone':
          this.d.resolver.dropAccount(a);
          return this.unknown('auth', name);
        case 'unreachable':
          this.d.conn.down(out.why);
          break;
      }
    }
    return this.offlineAuthenticate(a, name, password);
  }

  /** Resolves once every offline hash computed after an answer is stored. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /**
   * Hashes the password for offline use once the answer is on its way (setImmediate runs after
   * the socket write), so the login waits for the IdP's argon2id only, not for ours too.
   */
  private storeHashAfterReply(a: UnixAccount, password: string): void {
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => hashPassword(password))
      .then((hash) => this.d.store.setPasswordHash(a.uuid, hash, a.password_changed_at))
      .catch((e: Error) => this.d.log.error(`PAM: could not store the offline password of ${a.spn}: ${e.message}`))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  async account(name: string): Promise<PamReply> {
    const a = await this.find(name);
    if (!a) return this.unknown('account', name);
    const refused = this.refusal(a);
    if (refused) return this.reply('account', name, refused);
    const member = a.groups.some((g) => this.allowed.has(g.name) || this.allowed.has(g.spn));
    if (!member) {
      return this.reply('account', name, {
        status: 'DENIED',
        message: `${displayName(a, this.d.cfg)} is not a member of a group allowed to log in on this host`,
      });
    }
    return this.reply('account', name, { status: 'OK', message: '' });
  }

  async openSession(name: string): Promise<PamReply> {
    const a = await this.find(name);
    if (!a) return this.unknown('session', name);
    return this.reply('session', name, await this.d.openSession(a));
  }

  changePassword(name: string): PamReply {
    return this.reply('chauthtok', name, {
      status: 'DENIED',
      message: 'change your password with the IdP; it cannot be changed on this host',
    });
  }

  private async find(name: string): Promise<UnixAccount | undefined> {
    const q = parseName(name);
    return q ? this.d.resolver.user(q) : undefined;
  }

  private async offlineAuthenticate(a: UnixAccount, name: string, password: string): Promise<PamReply> {
    const refused = this.refusal(a);
    if (refused) return this.reply('auth', name, refused);
    // A hash still being computed after an online success (tens of ms) belongs to the cache
    // already: a login right after the IdP went away must find it.
    await this.settled();
    const hash = this.d.store.passwordHash(a.uuid);
    if (!hash) {
      return this.reply('auth', name, {
        status: 'UNAVAILABLE',
        message: `the IdP is unreachable and no password of ${displayName(a, this.d.cfg)} is cached on this host`,
      });
    }
    const closed = this.throttle.closedFor(a.uuid);
    if (closed > 0) {
      return this.reply('auth', name, { status: 'AUTH_FAILED', message: 'authentication failed' },
        `offline, too many wrong passwords: not checked for ${Math.ceil(closed / 1000)} s`);
    }
    if (await verifyPassword(hash, password)) {
      this.throttle.succeeded(a.uuid);
      return this.reply('auth', name, { status: 'OK', message: 'authenticated offline from the cached password' });
    }
    this.throttle.failed(a.uuid);
    return this.reply('auth', name, { status: 'AUTH_FAILED', message: 'authentication failed' }, 'offline, cached password');
  }

  /** The IdP refused a password the cache would accept: the cached hash is outdated. */
  private async forgetIfCached(a: UnixAccount, password: string): Promise<void> {
    const hash = this.d.store.passwordHash(a.uuid);
    if (hash && (await verifyPassword(hash, password))) {
      this.d.store.dropPasswordHash(a.uuid);
      this.d.log.info(`PAM: the IdP refused ${a.spn}'s cached password; dropped it from the offline cache`);
    }
  }

  /** Expired (by expire_at, whatever the IdP said when it answered) or locked; else undefined. */
  private refusal(a: UnixAccount): PamReply | undefined {
    const who = displayName(a, this.d.cfg);
    if (a.expire_at !== null && Date.parse(a.expire_at) <= Date.now()) {
      return { status: 'DENIED', message: `account expired: ${who} could log in until ${a.expire_at}` };
    }
    if (a.locked) return { status: 'DENIED', message: `the account ${who} is locked` };
    return undefined;
  }

  private unknown(step: string, name: string): PamReply {
    return this.reply(step, name, { status: 'NOT_FOUND', message: `unknown user ${name}` });
  }

  private reply(step: string, name: string, r: PamReply, detail?: string): PamReply {
    const extra = detail ? ` (${detail})` : '';
    const line = `PAM ${step} ${JSON.stringify(name)}: ${r.status}${r.message ? ` - ${r.message}` : ''}${extra}`;
    if (r.status === 'OK' || r.status === 'NOT_FOUND') this.d.log.info(line);
    else this.d.log.warn(line);
    return r;
  }
}
