/**
 * The contract between the directory (data + access control, `src/directory`, on the SQLite store
 * in `src/store`) and its transports (the HTTP API in `src/http`, the `wardd` commands). The
 * directory enforces every access rule itself, given the Actor; the transports only authenticate
 * and translate. Errors are thrown as WardError from @ward/proto.
 */
import type {
  Account, AccountPolicy, ApiToken, CredentialTypeMinimum, SetAccountPolicyRequest, CreateAccountRequest, CreateApiTokenRequest, CreateGroupRequest, Group,
  MemberList, SetAccountPosixRequest, SetGroupPosixRequest, SshKey, UnixAccount, UnixAccountPage, UnixChanges, UnixGroup,
  UnixGroupPage, UpdateAccountRequest,
} from '@ward/proto';

export type AccountKind = 'person' | 'service_account';

/** Who is asking. `anonymous` is a request without a token. */
export interface Actor {
  uuid: string;
  name: string;
  kind: AccountKind | 'anonymous';
  /** false for read-only API tokens: every write is refused with `read_only_token`. */
  readWrite: boolean;
}

/** Built-in groups and what their members may do (documented in docs/ACCESS.md). */
export const BUILTIN_GROUPS = {
  /** Full identity administration: persons, groups, POSIX, service accounts, SSH keys. */
  idm_admins: 'idm_admins',
  idm_people_admins: 'idm_people_admins',
  idm_group_admins: 'idm_group_admins',
  idm_unix_admins: 'idm_unix_admins',
  idm_service_account_admins: 'idm_service_account_admins',
  /** OAuth2 / OpenID Connect clients: register applications, their secrets, scope and claim maps. */
  idm_oauth2_admins: 'idm_oauth2_admins',
  /** System administration; the only ones who change the membership of built-in groups. */
  system_admins: 'system_admins',
} as const;

export interface SessionRecord {
  id: string;
  accountUuid: string;
  createdAt: number;
  expiresAt: number;
  source: string;
  revoked: boolean;
}

export interface ApiTokenRecord {
  id: string;
  accountUuid: string;
  label: string;
  readWrite: boolean;
  createdAt: number;
  expiresAt: number | null;
}

/** An account that may sign in now (not locked, not expired), as the sign-in flow needs it. */
export interface LoginAccount {
  uuid: string;
  name: string;
  spn: string;
  kind: AccountKind;
  displayname: string;
  /** The names a password must not contain (login name, display name, mail local parts). */
  names: string[];
}

export interface StoredTotp {
  label: string;
  secret: Uint8Array;
  /** The last RFC 6238 time step accepted (0: none yet). */
  lastStep: number;
  createdAt: number;
}

/** A WebAuthn credential as stored (ecosystem.md §2.2). */
export interface StoredPasskey {
  /** The credential id, base64url. */
  id: string;
  name: string;
  /** COSE public key. */
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  aaguid: string;
  fmt: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface StoredCredentials {
  passwordHash?: string;
  totp: StoredTotp[];
  passkeys: StoredPasskey[];
  backupCodeHashes: string[];
  /** Identifies this set (not counters or TOTP steps): replaceCredentials refuses a stale one. */
  fingerprint: string;
}

/** A whole new credential set; passwordHash undefined removes the password. */
export type CredentialSetChange = Omit<StoredCredentials, 'fingerprint'>;

/** The strictest account policy among a person's groups (defaults for service accounts). */
export interface EffectivePolicy {
  credentialTypeMinimum: CredentialTypeMinimum;
  passwordMinimumLength: number;
  /** Session lifetime in seconds, or null: the server's session_ttl. */
  authExpiry: number | null;
}

/**
 * Persons' credentials beyond the password check, for the sign-in flow (src/auth) and credential
 * updates (src/credentials) only (directory/credential-store.ts). Not for other transports.
 */
export interface CredentialStore {
  loginAccount(ref: string): LoginAccount | undefined;
  credentials(uuid: string): StoredCredentials;
  /**
   * Replaces the whole set atomically if it still has `expectedFingerprint` (else conflict). A new
   * password revokes every session of the account but `keepSession`.
   */
  replaceCredentials(uuid: string, expectedFingerprint: string, next: CredentialSetChange, keepSession: string | null): void;
  /** Records `step` as used for that TOTP; false when a step as late or later was used already. */
  useTotpStep(uuid: string, label: string, step: number): boolean;
  /** Deletes the backup code; false when it was not there (used, or never). */
  consumeBackupCode(uuid: string, codeHash: string): boolean;
  passkeyById(id: string): (StoredPasskey & { accountUuid: string }) | undefined;
  recordPasskeyUse(id: string, counter: number): void;
  /** The person's WebAuthn user handle (base64url), created on first use, never changed. */
  userHandle(uuid: string): string;
  accountByUserHandle(handle: string): string | undefined;
  /** Access-checked (idm_people_admins / idm_admins). The token is returned once; only its hash is kept. */
  createResetToken(actor: Actor, ref: string, ttlSeconds?: number): { token: string; accountUuid: string; expiresAt: number };
  /** The account of a live token, deleting it (single use); undefined for an unknown or expired one. */
  consumeResetToken(token: string): string | undefined;
  effectivePolicy(uuid: string): EffectivePolicy;
}

export interface Directory {
  /** Public domain of SPNs (`name@domain`). */
  readonly domain: string;

  // Accounts (kind selects persons or service accounts; an entry of the other kind is not_found).
  listAccounts(actor: Actor, kind: AccountKind): Account[];
  /** Idempotent: creating an identical entry again returns it unchanged; a different one is duplicate_name. */
  createAccount(actor: Actor, kind: AccountKind, req: CreateAccountRequest): { account: Account; changed: boolean };
  getAccount(actor: Actor, kind: AccountKind, ref: string): Account;
  updateAccount(actor: Actor, kind: AccountKind, ref: string, req: UpdateAccountRequest): Account;
  /** Idempotent on a missing entry? No: not_found. Built-ins refuse with `builtin`. */
  deleteAccount(actor: Actor, kind: AccountKind, ref: string): void;
  setAccountPosix(actor: Actor, kind: AccountKind, ref: string, req: SetAccountPosixRequest): Account;
  setUnixPassword(actor: Actor, kind: AccountKind, ref: string, password: string): Promise<void>;
  listSshKeys(actor: Actor, kind: AccountKind, ref: string): SshKey[];
  /** Idempotent: the same key under the same tag again changes nothing (changed=false). */
  addSshKey(actor: Actor, kind: AccountKind, ref: string, tag: string, key: string): { key: SshKey; changed: boolean };
  deleteSshKey(actor: Actor, kind: AccountKind, ref: string, tag: string): { changed: boolean };

  // Groups.
  listGroups(actor: Actor): Group[];
  createGroup(actor: Actor, req: CreateGroupRequest): { group: Group; changed: boolean };
  getGroup(actor: Actor, ref: string): Group;
  deleteGroup(actor: Actor, ref: string): void;
  listMembers(actor: Actor, ref: string): MemberList;
  addMembers(actor: Actor, ref: string, members: string[]): { changed: boolean };
  removeMembers(actor: Actor, ref: string, members: string[]): { changed: boolean };
  setMembers(actor: Actor, ref: string, members: string[]): { changed: boolean };
  setGroupPosix(actor: Actor, ref: string, req: SetGroupPosixRequest): Group;

  // The host view; open to anonymous. `ref` is a name, spn, uuid or a decimal uid/gid number.
  getUnixAccount(ref: string): UnixAccount;
  listUnixAccounts(): UnixAccount[];
  getUnixGroup(ref: string): UnixGroup;
  listUnixGroups(): UnixGroup[];

  // Host sync of the unix view (unix-sync.ts): paged listings with the change-log cursor, and the
  // changes since a cursor. Query values arrive as the strings of the URL; bad ones are bad_request.
  unixSyncAccounts(after?: string, limit?: string): UnixAccountPage;
  unixSyncGroups(after?: string, limit?: string): UnixGroupPage;
  /** The long poll: waits up to `wait` seconds (default 25) for changes; `signal` ends the wait. */
  unixChanges(since: string, wait?: string, signal?: AbortSignal): Promise<UnixChanges>;
  /** The changes since `since` now, without waiting. */
  unixChangesNow(since: string): UnixChanges;
  /** The cursor of the change log's head. */
  unixSyncCursor(): string;
  /** Long polls waiting now. */
  readonly unixWaiting: number;
  /** Ends every long poll at once and every later one without waiting (server shutdown). */
  releaseUnixWaiters(): void;
  /** Compacts the change log to its bounds now (normally done on writes, every few minutes). */
  compactUnixChanges(): void;
  /** Checks the unix password (argon2id); null on a wrong password or an account without one. */
  verifyUnixPassword(ref: string, password: string): Promise<UnixAccount | null>;

  // Primary credentials and the records behind tokens (the HTTP layer signs and checks tokens).
  /** The account for a login name, or null on an unknown name or a wrong password (same timing). */
  verifyPassword(ref: string, password: string): Promise<{ uuid: string; name: string; spn: string; kind: AccountKind } | null>;
  /** For `wardd recover-account`: sets a new primary password without any actor check. */
  setPrimaryPassword(ref: string, password: string): Promise<void>;
  actorFor(uuid: string, readWrite: boolean): Actor | null;
  /** Names of every group the account is in, nested ones included. */
  groupsOf(uuid: string): string[];

  createSession(accountUuid: string, ttlSeconds: number, source: string): SessionRecord;
  getSession(id: string): SessionRecord | undefined;
  listSessions(accountUuid: string): SessionRecord[];
  revokeSession(accountUuid: string, id: string): { changed: boolean };

  createApiToken(actor: Actor, ref: string, req: CreateApiTokenRequest): ApiTokenRecord;
  listApiTokens(actor: Actor, ref: string): ApiToken[];
  destroyApiToken(actor: Actor, ref: string, tokenId: string): { changed: boolean };
  getApiToken(id: string): ApiTokenRecord | undefined;

  // Account policy on groups (account-policy.ts) and the credential store behind sign-in.
  getAccountPolicy(actor: Actor, ref: string): AccountPolicy;
  setAccountPolicy(actor: Actor, ref: string, req: SetAccountPolicyRequest): AccountPolicy;
  readonly credentialStore: CredentialStore;

  /** Small key/value settings (the token signing key, the POSIX allocator). */
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string): void;
}
