/**
 * SqliteDirectory: the Directory of types.ts on the SQLite store. This file only wires the
 * interface to the operation modules; each module holds one concern and checks access itself.
 */
import type Database from 'better-sqlite3';
import {
  WardError, isValidDomain,
  type Account, type AccountPolicy, type ApiToken, type SetAccountPolicyRequest, type CreateAccountRequest, type CreateApiTokenRequest, type CreateGroupRequest, type Group,
  type MemberList, type SetAccountPosixRequest, type SetGroupPosixRequest, type SshKey, type UnixAccount, type UnixAccountPage,
  type UnixChanges, type UnixGroup, type UnixGroupPage, type UpdateAccountRequest,
} from '@ward/proto';
import { openDatabase } from '../store/index.js';
import * as accountPolicy from './account-policy.js';
import * as accounts from './accounts.js';
import { DirectoryCore } from './core.js';
import { SqliteCredentialStore } from './credential-store.js';
import * as credentials from './credentials.js';
import * as groups from './groups.js';
import { seedBuiltins } from './seed.js';
import * as ssh from './ssh-keys.js';
import * as tokens from './tokens.js';
import type { AccountKind, Actor, ApiTokenRecord, CredentialStore, Directory, SessionRecord } from './types.js';
import { UnixChangeLog, UNIX_LOG_KEEP_MS, UNIX_LOG_KEEP_ROWS, type ChangeLogLimits } from './unix-change-log.js';
import { UnixChangeWaiters } from './unix-change-waiters.js';
import { UnixSync, waitSeconds } from './unix-sync.js';
import * as unix from './unix-view.js';

export interface OpenDirectoryOptions {
  dbPath: string;
  /** The domain of SPNs (`name@domain`). */
  domain: string;
  /** Bounds of the unix change log (tests use small ones); UNIX_LOG_KEEP_* by default. */
  unixChangeLog?: Partial<ChangeLogLimits>;
}

/** Settings under this prefix belong to the directory itself (the POSIX allocator). */
export const RESERVED_SETTING_PREFIX = 'directory.';

function checkDomain(domain: string): void {
  if (!isValidDomain(domain)) throw new WardError('invalid_attribute', `not a valid domain: ${JSON.stringify(domain)}`);
}

export class SqliteDirectory implements Directory {
  private readonly core: DirectoryCore;
  private readonly unixSync: UnixSync;
  private readonly unixWaiters: UnixChangeWaiters;
  readonly credentialStore: CredentialStore;

  constructor(db: Database.Database, domain: string, limits: Partial<ChangeLogLimits> = {}) {
    checkDomain(domain);
    this.core = new DirectoryCore(db, domain);
    // Before the first write (seeding): every write must expand its change facts.
    const log = new UnixChangeLog(this.core, { keepRows: UNIX_LOG_KEEP_ROWS, keepMs: UNIX_LOG_KEEP_MS, ...limits });
    this.unixSync = new UnixSync(this.core, log);
    this.unixWaiters = new UnixChangeWaiters(() => log.head(), () => log.catchUp());
    this.core.afterCommit(() => this.unixWaiters.wake());
    this.credentialStore = new SqliteCredentialStore(this.core);
    seedBuiltins(this.core);
  }

  get domain(): string {
    return this.core.domain;
  }

  /** The underlying connection (for backups and the HTTP layer's own tables, if any). */
  get db(): Database.Database {
    return this.core.db;
  }

  close(): void {
    this.unixWaiters.close();
    if (this.core.db.open) this.core.db.close();
  }

  listAccounts(actor: Actor, kind: AccountKind): Account[] {
    return accounts.listAccounts(this.core, actor, kind);
  }
  createAccount(actor: Actor, kind: AccountKind, req: CreateAccountRequest): { account: Account; changed: boolean } {
    return accounts.createAccount(this.core, actor, kind, req);
  }
  getAccount(actor: Actor, kind: AccountKind, ref: string): Account {
    return accounts.getAccount(this.core, actor, kind, ref);
  }
  updateAccount(actor: Actor, kind: AccountKind, ref: string, req: UpdateAccountRequest): Account {
    return accounts.updateAccount(this.core, actor, kind, ref, req);
  }
  deleteAccount(actor: Actor, kind: AccountKind, ref: string): void {
    accounts.deleteAccount(this.core, actor, kind, ref);
  }
  setAccountPosix(actor: Actor, kind: AccountKind, ref: string, req: SetAccountPosixRequest): Account {
    return accounts.setAccountPosix(this.core, actor, kind, ref, req);
  }
  setUnixPassword(actor: Actor, kind: AccountKind, ref: string, password: string): Promise<void> {
    return credentials.setUnixPassword(this.core, actor, kind, ref, password);
  }
  listSshKeys(actor: Actor, kind: AccountKind, ref: string): SshKey[] {
    return ssh.listSshKeys(this.core, actor, kind, ref);
  }
  addSshKey(actor: Actor, kind: AccountKind, ref: string, tag: string, key: string): { key: SshKey; changed: boolean } {
    return ssh.addSshKey(this.core, actor, kind, ref, tag, key);
  }
  deleteSshKey(actor: Actor, kind: AccountKind, ref: string, tag: string): { changed: boolean } {
    return ssh.deleteSshKey(this.core, actor, kind, ref, tag);
  }

  listGroups(actor: Actor): Group[] {
    return groups.listGroups(this.core, actor);
  }
  createGroup(actor: Actor, req: CreateGroupRequest): { group: Group; changed: boolean } {
    return groups.createGroup(this.core, actor, req);
  }
  getGroup(actor: Actor, ref: string): Group {
    return groups.getGroup(this.core, actor, ref);
  }
  deleteGroup(actor: Actor, ref: string): void {
    groups.deleteGroup(this.core, actor, ref);
  }
  listMembers(actor: Actor, ref: string): MemberList {
    return groups.listMembers(this.core, actor, ref);
  }
  addMembers(actor: Actor, ref: string, members: string[]): { changed: boolean } {
    return groups.addMembers(this.core, actor, ref, members);
  }
  removeMembers(actor: Actor, ref: string, members: string[]): { changed: boolean } {
    return groups.removeMembers(this.core, actor, ref, members);
  }
  setMembers(actor: Actor, ref: string, members: string[]): { changed: boolean } {
    return groups.setMembers(this.core, actor, ref, members);
  }
  setGroupPosix(actor: Actor, ref: string, req: SetGroupPosixRequest): Group {
    return groups.setGroupPosix(this.core, actor, ref, req);
  }

  getUnixAccount(ref: string): UnixAccount {
    return unix.getUnixAccount(this.core, ref);
  }
  listUnixAccounts(): UnixAccount[] {
    return unix.listUnixAccounts(this.core);
  }
  getUnixGroup(ref: string): UnixGroup {
    return unix.getUnixGroup(this.core, ref);
  }
  listUnixGroups(): UnixGroup[] {
    return unix.listUnixGroups(this.core);
  }
  unixSyncAccounts(after?: string, limit?: string): UnixAccountPage {
    return this.unixSync.accountsPage(after, limit);
  }
  unixSyncGroups(after?: string, limit?: string): UnixGroupPage {
    return this.unixSync.groupsPage(after, limit);
  }
  async unixChanges(since: string, wait?: string, signal?: AbortSignal): Promise<UnixChanges> {
    return this.unixSync.waitForChanges(this.unixWaiters, since, waitSeconds(wait), signal);
  }
  unixChangesNow(since: string): UnixChanges {
    return this.unixSync.changesSince(since);
  }
  unixSyncCursor(): string {
    return this.unixSync.headCursor();
  }
  get unixWaiting(): number {
    return this.unixWaiters.size;
  }
  releaseUnixWaiters(): void {
    this.unixWaiters.close();
  }
  compactUnixChanges(): void {
    this.unixSync.log.compactNow();
  }
  verifyUnixPassword(ref: string, password: string): Promise<UnixAccount | null> {
    return credentials.verifyUnixPassword(this.core, ref, password);
  }

  verifyPassword(ref: string, password: string): Promise<{ uuid: string; name: string; spn: string; kind: AccountKind } | null> {
    return credentials.verifyPassword(this.core, ref, password);
  }
  setPrimaryPassword(ref: string, password: string): Promise<void> {
    return credentials.setPrimaryPassword(this.core, ref, password);
  }
  actorFor(uuid: string, readWrite: boolean): Actor | null {
    return credentials.actorFor(this.core, uuid, readWrite);
  }
  groupsOf(uuid: string): string[] {
    return credentials.groupsOf(this.core, uuid);
  }

  createSession(accountUuid: string, ttlSeconds: number, source: string): SessionRecord {
    return tokens.createSession(this.core, accountUuid, ttlSeconds, source);
  }
  getSession(id: string): SessionRecord | undefined {
    return tokens.getSession(this.core, id);
  }
  listSessions(accountUuid: string): SessionRecord[] {
    return tokens.listSessions(this.core, accountUuid);
  }
  revokeSession(accountUuid: string, id: string): { changed: boolean } {
    return tokens.revokeSession(this.core, accountUuid, id);
  }
  createApiToken(actor: Actor, ref: string, req: CreateApiTokenRequest): ApiTokenRecord {
    return tokens.createApiToken(this.core, actor, ref, req);
  }
  listApiTokens(actor: Actor, ref: string): ApiToken[] {
    return tokens.listApiTokens(this.core, actor, ref);
  }
  destroyApiToken(actor: Actor, ref: string, tokenId: string): { changed: boolean } {
    return tokens.destroyApiToken(this.core, actor, ref, tokenId);
  }
  getApiToken(id: string): ApiTokenRecord | undefined {
    return tokens.getApiToken(this.core, id);
  }

  getAccountPolicy(actor: Actor, ref: string): AccountPolicy {
    return accountPolicy.getAccountPolicy(this.core, actor, ref);
  }
  setAccountPolicy(actor: Actor, ref: string, req: SetAccountPolicyRequest): AccountPolicy {
    return accountPolicy.setAccountPolicy(this.core, actor, ref, req);
  }

  getSetting(key: string): string | undefined {
    return this.core.getSetting(key);
  }
  setSetting(key: string, value: string): void {
    if (typeof key !== 'string' || key.length === 0 || key.startsWith(RESERVED_SETTING_PREFIX)) {
      throw new WardError('invalid_attribute', `the setting key ${JSON.stringify(key)} is empty or reserved`);
    }
    this.core.setSetting(key, String(value));
  }
}

/** Opens (creating and migrating if needed) the store at `dbPath` and seeds the built-in entries. */
export function openDirectory(options: OpenDirectoryOptions): SqliteDirectory {
  checkDomain(options.domain); // before the file is created
  const db = openDatabase(options.dbPath);
  try {
    return new SqliteDirectory(db, options.domain, options.unixChangeLog);
  } catch (err) {
    db.close();
    throw err;
  }
}
