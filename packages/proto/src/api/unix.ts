import { Type, type Static } from '@sinclair/typebox';

/** What a host needs about a group: name, number and its POSIX members (nested ones included). */
export const UnixGroup = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  spn: Type.String(),
  gidnumber: Type.Integer(),
  members: Type.Array(Type.String(), { description: 'names of POSIX accounts, nested members included' }),
});
export type UnixGroup = Static<typeof UnixGroup>;
export const UnixGroupList = Type.Array(UnixGroup);

export const UnixGroupRef = Type.Object({
  name: Type.String(),
  spn: Type.String(),
  gidnumber: Type.Integer(),
});

/**
 * What a host needs about an account. `groups` starts with the primary (own) group. `locked` is
 * true when an administrator locked the account or it had expired when the IdP answered;
 * `expire_at` (RFC 3339, or null for never) lets a host refuse the account once that moment
 * passes even while it cannot reach the IdP. `password_changed_at` (RFC 3339, or null when the
 * account has no unix password) moves whenever the unix password is set: a host holding an
 * offline copy of an older hash must drop it. Optional: servers before it do not send it.
 */
export const UnixAccount = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  spn: Type.String(),
  displayname: Type.String(),
  uidnumber: Type.Integer(),
  gidnumber: Type.Integer(),
  shell: Type.String(),
  groups: Type.Array(UnixGroupRef),
  sshkeys: Type.Array(Type.String()),
  locked: Type.Boolean(),
  expire_at: Type.Union([Type.String({ description: 'RFC 3339 date-time from which the account may not log in' }), Type.Null()]),
  password_changed_at: Type.Optional(
    Type.Union([Type.String({ description: 'RFC 3339 date-time the unix password was last set' }), Type.Null()]),
  ),
});
export type UnixAccount = Static<typeof UnixAccount>;
export const UnixAccountList = Type.Array(UnixAccount);

export const UnixAuthRequest = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type UnixAuthRequest = Static<typeof UnixAuthRequest>;
export const UnixAuthResponse = Type.Object({ ok: Type.Boolean(), account: Type.Union([UnixAccount, Type.Null()]) });
export type UnixAuthResponse = Static<typeof UnixAuthResponse>;

/*
 * Incremental sync of the unix view (issue 9). A host lists everything once, page by page, then
 * follows the change log from the cursor the first page gave it:
 *
 *   1. GET /v1/unix/sync/account?after=&limit=   pages of accounts ordered by uuid; every page
 *      carries `cursor`, the head of the change log when that page was read. The host keeps the
 *      cursor of its FIRST page.
 *   2. GET /v1/unix/sync/group?after=&limit=     likewise for POSIX groups. Only real groups: an
 *      account's implicit private group (its own name and number) is derived by the host.
 *   3. GET /v1/unix/sync/changes?since=CURSOR&wait=SECONDS  (long poll) every account and group
 *      whose unix projection changed after CURSOR, as it is now (or its uuid under `deleted_*`
 *      when it no longer exists as a POSIX entry). Answers at once when there are changes; else
 *      holds the request up to `wait` seconds and answers empty with the same cursor. `more`:
 *      another page is ready, ask again at once. `resync`: the cursor is unknown, too old or from
 *      another log (restore, new database): list everything again (steps 1-2) from `cursor`.
 *
 * Entries in a change page are their state when the page was read, so applying pages in order,
 * as upserts and deletes, always converges to the IdP's current view. The cursor is opaque.
 */
/** Longest long-poll wait a host may ask for, in seconds (below common proxy idle timeouts). */
export const UNIX_SYNC_MAX_WAIT_S = 55;
/** Largest page of a listing or of changes. */
export const UNIX_SYNC_MAX_PAGE = 5000;

export const UnixSyncPageQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 64, description: 'the uuid the previous page ended at' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: `entries per page, 1 to ${UNIX_SYNC_MAX_PAGE}` })),
  },
  { additionalProperties: false },
);
export type UnixSyncPageQuery = Static<typeof UnixSyncPageQuery>;

export const UnixAccountPage = Type.Object({
  cursor: Type.String(),
  items: UnixAccountList,
  next: Type.Union([Type.String({ description: 'pass as `after` for the next page' }), Type.Null()]),
});
export type UnixAccountPage = Static<typeof UnixAccountPage>;

export const UnixGroupPage = Type.Object({
  cursor: Type.String(),
  items: UnixGroupList,
  next: Type.Union([Type.String(), Type.Null()]),
});
export type UnixGroupPage = Static<typeof UnixGroupPage>;

export const UnixChangesQuery = Type.Object(
  {
    since: Type.String({ minLength: 1, maxLength: 128 }),
    wait: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}$', description: `seconds to hold an empty answer, 0 to ${UNIX_SYNC_MAX_WAIT_S}` })),
  },
  { additionalProperties: false },
);
export type UnixChangesQuery = Static<typeof UnixChangesQuery>;

export const UnixChanges = Type.Object({
  cursor: Type.String(),
  resync: Type.Boolean(),
  accounts: UnixAccountList,
  groups: UnixGroupList,
  deleted_accounts: Type.Array(Type.String(), { description: 'uuids of accounts no longer in the unix view' }),
  deleted_groups: Type.Array(Type.String(), { description: 'uuids of groups no longer in the unix view' }),
  more: Type.Boolean(),
});
export type UnixChanges = Static<typeof UnixChanges>;
