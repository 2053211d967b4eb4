/**
 * Persons and service accounts: listing, creation (idempotent), reading, changes, deletion and
 * POSIX attributes. Every function checks the actor's rights first (access.ts), then validates,
 * then writes in one transaction, so a refused or invalid request changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_SHELL, WardError, type Account, type CreateAccountRequest, type SetAccountPosixRequest, type UpdateAccountRequest } from '@ward/proto';
import {
  assertCanChangeAccount, assertCanCreateAccount, rightsOf, targetFor, writeRightsOf,
} from './access.js';
import { KIND_LABEL, type DirectoryCore, type EntryRow } from './core.js';
import { claimMail } from './mail.js';
import { choosePosixId } from './posix-ids.js';
import type { AccountKind, Actor } from './types.js';
import {
  checkAccountName, checkBoolean, checkDescription, checkDisplayname, checkExpireAt, checkKeys, checkMail, checkShell,
} from './validate.js';
import { accountView, bulkContext } from './views.js';

const UPDATE_KEYS = new Set(['name', 'displayname', 'mail', 'description', 'locked', 'expire_at']);
const POSIX_KEYS = new Set(['gidnumber', 'shell']);

export function listAccounts(core: DirectoryCore, actor: Actor, kind: AccountKind): Account[] {
  const rights = rightsOf(core, actor);
  if (!rights.isReader) {
    const self = core.entryByUuid(actor.uuid);
    return self && self.kind === kind ? [accountView(core, self)] : [];
  }
  const rows = core.stmt('SELECT * FROM entries WHERE kind = ? ORDER BY name').all(kind) as EntryRow[];
  const bulk = bulkContext(core);
  return rows.map((row) => accountView(core, row, bulk));
}

export function createAccount(
  core: DirectoryCore,
  actor: Actor,
  kind: AccountKind,
  req: CreateAccountRequest,
): { account: Account; changed: boolean } {
  const rights = writeRightsOf(core, actor);
  assertCanCreateAccount(rights, kind);
  checkKeys(req, new Set(['name', 'displayname', 'mail', 'description']), `a new ${KIND_LABEL[kind]}`);
  const name = checkAccountName(req.name);
  const displayname = checkDisplayname(req.displayname);
  const mail = JSON.stringify(checkMail(req.mail));
  const description = checkDescription(req.description);
  return core.write(() => {
    const existing = core.entryByName(name);
    if (existing) {
      const identical =
        existing.kind === kind &&
        existing.builtin === 0 &&
        existing.displayname === displayname &&
        existing.mail === mail &&
        existing.description === description;
      if (identical) return { account: accountView(core, existing), changed: false };
      throw new WardError('duplicate_name', `the name "${name}" is already used by the ${KIND_LABEL[existing.kind]} "${name}"`);
    }
    const now = core.now();
    const uuid = randomUUID();
    core
      .stmt(
        'INSERT INTO entries (uuid, kind, name, displayname, description, mail, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(uuid, kind, name, displayname, description, mail, now, now);
    claimMail(core, uuid, JSON.parse(mail) as string[]);
    core.changed('data');
    return { account: accountView(core, core.reread(uuid)), changed: true };
  });
}

export function getAccount(core: DirectoryCore, actor: Actor, kind: AccountKind, ref: string): Account {
  const rights = rightsOf(core, actor);
  return accountView(core, targetFor(core, rights, ref, [kind]));
}

export function updateAccount(
  core: DirectoryCore,
  actor: Actor,
  kind: AccountKind,
  ref: string,
  req: UpdateAccountRequest,
): Account {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  assertCanChangeAccount(core, rights, target, 'attributes');
  checkKeys(req, UPDATE_KEYS, 'an account change');
  if (Object.keys(req).length === 0) throw new WardError('invalid_attribute', 'nothing to change');
  const next = {
    name: req.name === undefined ? target.name : checkAccountName(req.name),
    displayname: req.displayname === undefined ? target.displayname : checkDisplayname(req.displayname),
    mail: req.mail === undefined ? target.mail : JSON.stringify(checkMail(req.mail)),
    description: req.description === undefined ? target.description : checkDescription(req.description),
    locked: req.locked === undefined ? target.locked : checkBoolean(req.locked, 'locked') ? 1 : 0,
    expire_at: req.expire_at === undefined ? target.expire_at : checkExpireAt(req.expire_at),
  };
  if (target.builtin === 1 && next.name !== target.name) {
    throw new WardError('builtin', `the built-in account "${target.name}" cannot be renamed`);
  }
  return core.write(() => {
    const row = core.reread(target.uuid);
    const same = (Object.keys(next) as Array<keyof typeof next>).every((key) => next[key] === row[key]);
    if (same) return accountView(core, row);
    if (next.name !== row.name && core.entryByName(next.name)) {
      throw new WardError('duplicate_name', `the name "${next.name}" is already in use`);
    }
    core
      .stmt(
        'UPDATE entries SET name = ?, displayname = ?, mail = ?, description = ?, locked = ?, expire_at = ?, updated_at = ? WHERE uuid = ?',
      )
      .run(next.name, next.displayname, next.mail, next.description, next.locked, next.expire_at, core.now(), row.uuid);
    if (next.mail !== row.mail) claimMail(core, row.uuid, JSON.parse(next.mail) as string[]);
    if (next.locked === 1 && row.locked === 0) {
      // A lock ends every session at once; API tokens stop working through actorFor.
      core.stmt('UPDATE sessions SET revoked = 1 WHERE account_uuid = ?').run(row.uuid);
    }
    core.changed('data');
    return accountView(core, core.reread(row.uuid));
  });
}

export function deleteAccount(core: DirectoryCore, actor: Actor, kind: AccountKind, ref: string): void {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  assertCanChangeAccount(core, rights, target, 'delete');
  if (target.builtin === 1) throw new WardError('builtin', `the built-in account "${target.name}" cannot be deleted`);
  core.write(() => {
    // Memberships, keys, credentials, sessions and tokens go with it (ON DELETE CASCADE); its POSIX
    // number stays in posix_id_history, so it is never allocated again.
    core.stmt('DELETE FROM entries WHERE uuid = ?').run(target.uuid);
    core.changed('membership');
  });
}

export function setAccountPosix(
  core: DirectoryCore,
  actor: Actor,
  kind: AccountKind,
  ref: string,
  req: SetAccountPosixRequest,
): Account {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  assertCanChangeAccount(core, rights, target, 'posix');
  checkKeys(req, POSIX_KEYS, 'POSIX attributes');
  const shell = req.shell === undefined ? undefined : checkShell(req.shell);
  return core.write(() => {
    const row = core.reread(target.uuid);
    const id = choosePosixId(core, row, req.gidnumber, 'gidnumber');
    const nextShell = shell ?? row.shell ?? DEFAULT_SHELL;
    if (id === row.posix_id && nextShell === row.shell) return accountView(core, row);
    core.stmt('UPDATE entries SET posix_id = ?, shell = ?, updated_at = ? WHERE uuid = ?').run(id, nextShell, core.now(), row.uuid);
    core.changed('data');
    return accountView(core, core.reread(row.uuid));
  });
}
