/**
 * The unix view: what a host needs to resolve directory entries as POSIX users and groups, open to
 * anonymous. Only POSIX-enabled entries appear; everything else is not_found here.
 *
 *   UnixAccount  uid = gid = the account's number; `groups` = its primary group first, then every
 *                POSIX group it is in, nested included (sorted by name); `sshkeys` as
 *                authorized_keys lines; `locked` when locked by an administrator or expired at
 *                the moment of the answer; `expire_at` (RFC 3339 or null) so hosts can refuse it
 *                on time while offline.
 *   UnixGroup    every POSIX group with the names of the POSIX accounts in it (nested included),
 *                and (here, not in the sync pages) every POSIX account's implicit primary group
 *                (its own name, uuid and number, with itself as the member), so getgrgid(uid)
 *                resolves on hosts that still use these calls.
 *
 * Entries are projected when asked (unix-projection.ts): a lookup reads one entry and walks its
 * membership; the bulk listings build the membership closure once. Hosts keep current through
 * the change log instead of listing again (unix-sync.ts, unix-change-log.ts). The two whole-view
 * listings are kept until the next change (or the next account expiry, when `locked` flips), for
 * hosts that still list everything on a timer; nothing rebuilds them on a write. They are shared
 * between callers, hence frozen.
 */
import { WardError, shortName, type UnixAccount, type UnixGroup } from '@ward/proto';
import { deepFreeze } from './answer-memo.js';
import type { DirectoryCore } from './core.js';
import {
  ACCOUNT_COLUMNS, GROUP_COLUMNS, IS_POSIX_ACCOUNT, IS_POSIX_GROUP, membership, personalGroup, projectAccounts, projectGroups,
  type AccountRow, type GroupRow,
} from './unix-projection.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER_RE = /^[0-9]{1,10}$/;

/** The column and value a reference names: uuid, decimal number, or name / spn of this domain. */
function refColumn(core: DirectoryCore, ref: string): { column: 'uuid' | 'posix_id' | 'name'; value: string | number } | undefined {
  if (typeof ref !== 'string') return undefined;
  if (UUID_RE.test(ref)) return { column: 'uuid', value: ref.toLowerCase() };
  if (NUMBER_RE.test(ref)) return { column: 'posix_id', value: Number(ref) };
  const name = shortName(ref, core.domain);
  return name === undefined ? undefined : { column: 'name', value: name };
}

function notFound(what: string, ref: string): WardError {
  return new WardError('not_found', `no POSIX ${what} "${String(ref).slice(0, 320)}"`);
}

export function getUnixAccount(core: DirectoryCore, ref: string): UnixAccount {
  const where = refColumn(core, ref);
  const row = where
    ? (core.stmt(`SELECT ${ACCOUNT_COLUMNS} FROM entries WHERE ${where.column} = ? AND ${IS_POSIX_ACCOUNT}`).get(where.value) as AccountRow | undefined)
    : undefined;
  if (!row) throw notFound('account', ref);
  return projectAccounts(core, [row], membership(core, false))[0]!;
}

export function listUnixAccounts(core: DirectoryCore): UnixAccount[] {
  return core.cached('unix-accounts', 'data', () => {
    const now = core.now();
    const rows = core.stmt(`SELECT ${ACCOUNT_COLUMNS} FROM entries WHERE ${IS_POSIX_ACCOUNT} ORDER BY name`).all() as AccountRow[];
    return deepFreeze(projectAccounts(core, rows, membership(core, true), now));
  }, nextExpiry(core));
}

/** When a listing made now stops being true: the first account expiry after now. */
function nextExpiry(core: DirectoryCore): () => number {
  return () =>
    (core.stmt(`SELECT MIN(expire_at) FROM entries WHERE expire_at > ? AND ${IS_POSIX_ACCOUNT}`).pluck().get(core.now()) as number | null) ?? Infinity;
}

/** A real POSIX group, or the implicit primary group of a POSIX account. */
export function getUnixGroup(core: DirectoryCore, ref: string): UnixGroup {
  const where = refColumn(core, ref);
  const row = where
    ? (core.stmt(`SELECT kind, uuid, name, posix_id FROM entries WHERE ${where.column} = ? AND posix_id IS NOT NULL`).get(where.value) as
        | (GroupRow & { kind: string })
        | undefined)
    : undefined;
  if (!row) throw notFound('group', ref);
  if (row.kind !== 'group') return personalGroup(core, row);
  return projectGroups(core, [row], membership(core, false))[0]!;
}

export function listUnixGroups(core: DirectoryCore): UnixGroup[] {
  return core.cached('unix-groups', 'data', () => {
    const rows = core.stmt(`SELECT ${GROUP_COLUMNS} FROM entries WHERE ${IS_POSIX_GROUP}`).all() as GroupRow[];
    const accounts = core.stmt(`SELECT uuid, name, posix_id FROM entries WHERE ${IS_POSIX_ACCOUNT}`).all() as GroupRow[];
    const all = [...projectGroups(core, rows, membership(core, true)), ...accounts.map((a) => personalGroup(core, a))];
    return deepFreeze(all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  });
}
