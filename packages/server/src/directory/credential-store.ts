/**
 * The stored credentials of a person beyond what credentials.ts handles (the password hash lives
 * there): TOTP secrets, passkeys, backup codes, the WebAuthn user handle, and one-time reset
 * tokens. Only the sign-in flow (src/auth) and the credential update sessions (src/credentials)
 * use this, through Directory.credentialStore; they decide what is allowed, this module keeps the
 * rows consistent:
 *  - a credential set is replaced as a whole, in one transaction, and only when it is still the
 *    set the caller started from (its fingerprint), so two update sessions cannot lose each
 *    other's changes;
 *  - a TOTP step and a backup code are each accepted once, by a conditional UPDATE / DELETE
 *    whose row count says whether this caller won;
 *  - reset tokens are stored as SHA-256 hashes and deleted when used, when a newer one is made
 *    for the same person, and when the person's credentials are saved.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WardError } from '@ward/proto';
import { assertCanChangeAccount, targetFor, writeRightsOf } from './access.js';
import { effectivePolicy } from './account-policy.js';
import type { DirectoryCore } from './core.js';
import { accountNames, isAnonymousAccount, mayLogIn } from './credentials.js';
import type {
  AccountKind, Actor, CredentialSetChange, CredentialStore, EffectivePolicy, LoginAccount, StoredCredentials, StoredPasskey,
  StoredTotp,
} from './types.js';

export const RESET_TOKEN_DEFAULT_TTL_SECONDS = 3600;
export const RESET_TOKEN_MIN_TTL_SECONDS = 60;
export const RESET_TOKEN_MAX_TTL_SECONDS = 86400;

interface PasskeyRow {
  id: string;
  account_uuid: string;
  name: string;
  public_key: Buffer;
  counter: number;
  transports: string;
  device_type: string;
  backed_up: 0 | 1;
  aaguid: string;
  fmt: string;
  created_at: number;
  last_used_at: number | null;
}

function passkey(row: PasskeyRow): StoredPasskey & { accountUuid: string } {
  return {
    accountUuid: row.account_uuid,
    id: row.id,
    name: row.name,
    publicKey: new Uint8Array(row.public_key),
    counter: row.counter,
    transports: JSON.parse(row.transports) as string[],
    deviceType: row.device_type,
    backedUp: row.backed_up === 1,
    aaguid: row.aaguid,
    fmt: row.fmt,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** What identifies a credential set, leaving out what every sign-in changes (counters, steps). */
function fingerprint(c: Omit<StoredCredentials, 'fingerprint'>): string {
  return sha256(
    JSON.stringify([
      c.passwordHash ?? null,
      c.totp.map((t) => [t.label, Buffer.from(t.secret).toString('base64')]).sort(),
      c.passkeys.map((p) => p.id).sort(),
      [...c.backupCodeHashes].sort(),
    ]),
  );
}

export class SqliteCredentialStore implements CredentialStore {
  constructor(private readonly core: DirectoryCore) {}

  loginAccount(ref: string): LoginAccount | undefined {
    const row = this.core.resolve(ref);
    if (!row || row.kind === 'group' || !mayLogIn(row, this.core.now())) return undefined;
    return {
      uuid: row.uuid,
      name: row.name,
      spn: this.core.spn(row.name),
      kind: row.kind as AccountKind,
      displayname: row.displayname,
      names: accountNames(row),
    };
  }

  credentials(uuid: string): StoredCredentials {
    const c = this.core;
    const passwordHash = c.stmt("SELECT hash FROM credentials WHERE account_uuid = ? AND type = 'primary'").pluck().get(uuid) as
      | string
      | undefined;
    const totp = (
      c.stmt('SELECT label, secret, last_step, created_at FROM totp_credentials WHERE account_uuid = ? ORDER BY label').all(uuid) as Array<{
        label: string;
        secret: Buffer;
        last_step: number;
        created_at: number;
      }>
    ).map((r): StoredTotp => ({ label: r.label, secret: new Uint8Array(r.secret), lastStep: r.last_step, createdAt: r.created_at }));
    const passkeys = (c.stmt('SELECT * FROM passkeys WHERE account_uuid = ? ORDER BY created_at, rowid').all(uuid) as PasskeyRow[]).map((r) => {
      const { accountUuid: _owner, ...rest } = passkey(r);
      return rest;
    });
    const backupCodeHashes = c.stmt('SELECT code_hash FROM backup_codes WHERE account_uuid = ?').pluck().all(uuid) as string[];
    const set = { ...(passwordHash !== undefined ? { passwordHash } : {}), totp, passkeys, backupCodeHashes };
    return { ...set, fingerprint: fingerprint(set) };
  }

  replaceCredentials(uuid: string, expectedFingerprint: string, next: CredentialSetChange, keepSession: string | null): void {
    const c = this.core;
    c.write(() => {
      const row = c.reread(uuid);
      if (!mayLogIn(row, c.now())) throw new WardError('conflict', `"${row.name}" is locked or expired; its credentials cannot change now`);
      const current = this.credentials(uuid);
      if (current.fingerprint !== expectedFingerprint) {
        throw new WardError('conflict', 'the credentials were changed meanwhile (another update was saved); start again');
      }
      const now = c.now();
      // Saved credentials end every reset link still out for the person, in the same write.
      c.stmt('DELETE FROM reset_tokens WHERE account_uuid = ?').run(uuid);
      const passwordChanged = next.passwordHash !== current.passwordHash;
      if (next.passwordHash === undefined) {
        c.stmt("DELETE FROM credentials WHERE account_uuid = ? AND type = 'primary'").run(uuid);
      } else if (passwordChanged) {
        c.stmt(
          "INSERT INTO credentials (account_uuid, type, hash, updated_at) VALUES (?, 'primary', ?, ?) " +
            'ON CONFLICT (account_uuid, type) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at',
        ).run(uuid, next.passwordHash, now);
      }
      c.stmt('DELETE FROM totp_credentials WHERE account_uuid = ?').run(uuid);
      const insertTotp = c.stmt('INSERT INTO totp_credentials (account_uuid, label, secret, last_step, created_at) VALUES (?, ?, ?, ?, ?)');
      for (const t of next.totp) insertTotp.run(uuid, t.label, Buffer.from(t.secret), t.lastStep, t.createdAt);

      const keep = new Set(next.passkeys.map((p) => p.id));
      for (const old of current.passkeys) if (!keep.has(old.id)) c.stmt('DELETE FROM passkeys WHERE id = ? AND account_uuid = ?').run(old.id, uuid);
      const known = new Set(current.passkeys.map((p) => p.id));
      const insertPasskey = c.stmt(
        'INSERT INTO passkeys (id, account_uuid, name, public_key, counter, transports, device_type, backed_up, aaguid, fmt, created_at, last_used_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const p of next.passkeys) {
        if (known.has(p.id)) {
          c.stmt('UPDATE passkeys SET name = ? WHERE id = ?').run(p.name, p.id);
          continue;
        }
        if (c.stmt('SELECT 1 FROM passkeys WHERE id = ?').get(p.id)) throw new WardError('conflict', 'this passkey is already registered');
        insertPasskey.run(
          p.id, uuid, p.name, Buffer.from(p.publicKey), p.counter, JSON.stringify(p.transports), p.deviceType,
          p.backedUp ? 1 : 0, p.aaguid, p.fmt, p.createdAt, p.lastUsedAt,
        );
      }
      c.stmt('DELETE FROM backup_codes WHERE account_uuid = ?').run(uuid);
      const insertCode = c.stmt('INSERT INTO backup_codes (account_uuid, code_hash) VALUES (?, ?)');
      for (const h of next.backupCodeHashes) insertCode.run(uuid, h);

      // A new password ends every other session: whoever knew the old one is out.
      if (passwordChanged) c.stmt('UPDATE sessions SET revoked = 1 WHERE account_uuid = ? AND id IS NOT ?').run(uuid, keepSession);
      c.stmt('UPDATE entries SET updated_at = ? WHERE uuid = ?').run(now, uuid);
    });
  }

  useTotpStep(uuid: string, label: string, step: number): boolean {
    return this.core.write(
      () =>
        this.core
          .stmt('UPDATE totp_credentials SET last_step = ? WHERE account_uuid = ? AND label = ? AND last_step < ?')
          .run(step, uuid, label, step).changes === 1,
    );
  }

  consumeBackupCode(uuid: string, codeHash: string): boolean {
    return this.core.write(
      () => this.core.stmt('DELETE FROM backup_codes WHERE account_uuid = ? AND code_hash = ?').run(uuid, codeHash).changes === 1,
    );
  }

  passkeyById(id: string): (StoredPasskey & { accountUuid: string }) | undefined {
    if (typeof id !== 'string' || id.length > 1024) return undefined;
    const row = this.core.stmt('SELECT * FROM passkeys WHERE id = ?').get(id) as PasskeyRow | undefined;
    return row && passkey(row);
  }

  recordPasskeyUse(id: string, counter: number): void {
    this.core.write(() => {
      this.core.stmt('UPDATE passkeys SET counter = ?, last_used_at = ? WHERE id = ?').run(counter, this.core.now(), id);
    });
  }

  userHandle(uuid: string): string {
    const c = this.core;
    return c.write(() => {
      const existing = c.stmt('SELECT handle FROM webauthn_user_handles WHERE account_uuid = ?').pluck().get(uuid) as string | undefined;
      if (existing) return existing;
      c.reread(uuid);
      // 32 random bytes (WebAuthn allows 64): no personal data in the handle, and it never changes.
      const handle = randomBytes(32).toString('base64url');
      c.stmt('INSERT INTO webauthn_user_handles (account_uuid, handle) VALUES (?, ?)').run(uuid, handle);
      return handle;
    });
  }

  accountByUserHandle(handle: string): string | undefined {
    if (typeof handle !== 'string' || handle.length > 128) return undefined;
    return this.core.stmt('SELECT account_uuid FROM webauthn_user_handles WHERE handle = ?').pluck().get(handle) as string | undefined;
  }

  createResetToken(actor: Actor, ref: string, ttlSeconds = RESET_TOKEN_DEFAULT_TTL_SECONDS): { token: string; accountUuid: string; expiresAt: number } {
    const c = this.core;
    const rights = writeRightsOf(c, actor);
    const target = targetFor(c, rights, ref, ['person']);
    assertCanChangeAccount(c, rights, target, 'credentials');
    if (isAnonymousAccount(target)) throw new WardError('builtin', 'anonymous has no credentials');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < RESET_TOKEN_MIN_TTL_SECONDS || ttlSeconds > RESET_TOKEN_MAX_TTL_SECONDS) {
      throw new WardError('invalid_attribute', `a reset token lifetime must be ${RESET_TOKEN_MIN_TTL_SECONDS} to ${RESET_TOKEN_MAX_TTL_SECONDS} seconds`);
    }
    const token = randomBytes(32).toString('base64url');
    return c.write(() => {
      c.reread(target.uuid);
      const now = c.now();
      c.stmt('DELETE FROM reset_tokens WHERE expires_at <= ?').run(now);
      // A new link supersedes every earlier one of the person: the one an administrator hands
      // out after a compromise must be the only one that works.
      c.stmt('DELETE FROM reset_tokens WHERE account_uuid = ?').run(target.uuid);
      const expiresAt = now + ttlSeconds * 1000;
      c.stmt('INSERT INTO reset_tokens (token_hash, account_uuid, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
        sha256(token), target.uuid, actor.uuid, now, expiresAt,
      );
      return { token, accountUuid: target.uuid, expiresAt };
    });
  }

  consumeResetToken(token: string): string | undefined {
    if (typeof token !== 'string' || token.length === 0 || token.length > 128) return undefined;
    const c = this.core;
    return c.write(() => {
      const hash = sha256(token);
      const row = c.stmt('SELECT account_uuid, expires_at FROM reset_tokens WHERE token_hash = ?').get(hash) as
        | { account_uuid: string; expires_at: number }
        | undefined;
      if (!row) return undefined;
      c.stmt('DELETE FROM reset_tokens WHERE token_hash = ?').run(hash);
      return row.expires_at > c.now() ? row.account_uuid : undefined;
    });
  }

  effectivePolicy(uuid: string): EffectivePolicy {
    return effectivePolicy(this.core, uuid);
  }
}
