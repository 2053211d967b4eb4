/**
 * Passwords and who may log in: the primary password (logins to the IdP) and the unix password
 * (host logins through PAM), both argon2id (password.ts), and the Actor behind a token. Locked or
 * expired accounts fail every check here, whatever their credentials.
 */
import { WardError, type UnixAccount } from '@ward/proto';
import { assertCanChangeAccount, targetFor, writeRightsOf } from './access.js';
import type { DirectoryCore, EntryRow } from './core.js';
import { assertPasswordPolicy, hashPassword, verifyPassword as verifyHash, type VerifyResult } from './password.js';
import type { AccountKind, Actor } from './types.js';
import { getUnixAccount } from './unix-view.js';

type CredentialType = 'primary' | 'unix';

/** The names a password must not contain: login name, display name, mail addresses. */
export function accountNames(row: EntryRow): string[] {
  const mail = JSON.parse(row.mail) as string[];
  return [row.name, row.displayname, ...mail.map((m) => m.split('@')[0] ?? '')];
}

export function isAnonymousAccount(row: EntryRow): boolean {
  return row.builtin === 1 && row.name === 'anonymous';
}

/** An account may log in (any way) when it is neither locked nor past its expiry. */
export function mayLogIn(row: EntryRow, now: number): boolean {
  return row.kind !== 'group' && !isAnonymousAccount(row) && row.locked === 0 && (row.expire_at === null || row.expire_at > now);
}

function storedHash(core: DirectoryCore, uuid: string, type: CredentialType): string | undefined {
  return core.stmt('SELECT hash FROM credentials WHERE account_uuid = ? AND type = ?').pluck().get(uuid, type) as
    | string
    | undefined;
}

function storeHash(core: DirectoryCore, uuid: string, type: CredentialType, hash: string): void {
  core
    .stmt(
      'INSERT INTO credentials (account_uuid, type, hash, updated_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (account_uuid, type) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at',
    )
    .run(uuid, type, hash, core.now());
}

/**
 * After a good verify with outdated parameters: store the new hash unless it changed meanwhile.
 * updated_at stays: it says when the password was set (hosts compare it, as password_changed_at,
 * to know whether their offline copy of the hash is still the current password's).
 */
function upgradeHash(core: DirectoryCore, uuid: string, type: CredentialType, old: string, result: VerifyResult): void {
  if (!result.rehash) return;
  const fresh = result.rehash;
  core.write(() => {
    core.stmt('UPDATE credentials SET hash = ? WHERE account_uuid = ? AND type = ? AND hash = ?').run(fresh, uuid, type, old);
  });
}

function accountRow(core: DirectoryCore, ref: string): EntryRow | undefined {
  const row = core.resolve(ref);
  return row && row.kind !== 'group' ? row : undefined;
}

export async function verifyPassword(
  core: DirectoryCore,
  ref: string,
  password: string,
): Promise<{ uuid: string; name: string; spn: string; kind: AccountKind } | null> {
  const row = typeof ref === 'string' ? accountRow(core, ref) : undefined;
  const hash = row ? storedHash(core, row.uuid, 'primary') : undefined;
  const result = await verifyHash(hash, typeof password === 'string' ? password : '');
  if (!result.ok || !row || !hash) return null;
  const current = core.entryByUuid(row.uuid); // re-read: it may have been locked or deleted meanwhile
  if (!current || !mayLogIn(current, core.now())) return null;
  upgradeHash(core, row.uuid, 'primary', hash, result);
  return { uuid: current.uuid, name: current.name, spn: core.spn(current.name), kind: current.kind as AccountKind };
}

/** For `wardd recover-account`: no actor check. Ends the account's sessions. */
export async function setPrimaryPassword(core: DirectoryCore, ref: string, password: string): Promise<void> {
  const target = core.require(ref, ['person', 'service_account']);
  if (isAnonymousAccount(target)) throw new WardError('builtin', 'anonymous cannot have a password');
  assertPasswordPolicy(password, target.name);
  const hash = await hashPassword(password);
  core.write(() => {
    core.reread(target.uuid);
    storeHash(core, target.uuid, 'primary', hash);
    core.stmt('UPDATE sessions SET revoked = 1 WHERE account_uuid = ?').run(target.uuid);
  });
}

export async function setUnixPassword(
  core: DirectoryCore,
  actor: Actor,
  kind: AccountKind,
  ref: string,
  password: string,
): Promise<void> {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  assertCanChangeAccount(core, rights, target, 'unix_password');
  if (target.posix_id === null) {
    throw new WardError('conflict', `"${target.name}" has no POSIX attributes; enable POSIX before setting a unix password`);
  }
  assertPasswordPolicy(password, target.name);
  const hash = await hashPassword(password);
  core.write(() => {
    const row = core.reread(target.uuid);
    if (row.posix_id === null) throw new WardError('conflict', `"${row.name}" has no POSIX attributes`);
    storeHash(core, row.uuid, 'unix', hash);
    core.changed('data');
  });
}

/** The unix account for a good unix password of an account that may log in; null otherwise. */
export async function verifyUnixPassword(core: DirectoryCore, ref: string, password: string): Promise<UnixAccount | null> {
  let account: UnixAccount | undefined;
  try {
    account = getUnixAccount(core, ref);
  } catch (err) {
    if (!(err instanceof WardError) || err.code !== 'not_found') throw err;
  }
  const hash = account ? storedHash(core, account.uuid, 'unix') : undefined;
  const result = await verifyHash(hash, typeof password === 'string' ? password : '');
  if (!result.ok || !account || !hash) return null;
  const row = core.entryByUuid(account.uuid);
  if (!row || row.posix_id === null || !mayLogIn(row, core.now())) return null;
  upgradeHash(core, row.uuid, 'unix', hash, result);
  return getUnixAccount(core, row.uuid);
}

export function actorFor(core: DirectoryCore, uuid: string, readWrite: boolean): Actor | null {
  const row = typeof uuid === 'string' ? core.entryByUuid(uuid) : undefined;
  if (!row || row.kind === 'group') return null;
  if (isAnonymousAccount(row)) return { uuid: row.uuid, name: row.name, kind: 'anonymous', readWrite: false };
  if (!mayLogIn(row, core.now())) return null;
  return { uuid: row.uuid, name: row.name, kind: row.kind as AccountKind, readWrite: readWrite === true };
}

export function groupsOf(core: DirectoryCore, uuid: string): string[] {
  return core.names(core.memberOf(uuid));
}
