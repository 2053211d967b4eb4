/**
 * The unix view: what a host needs to resolve directory entries as POSIX users and groups, open to
 * anonymous. Only POSIX-enabled entries appear; everything else is not_found here.
 *
 *   UnixAccount  uid = gid = the account's number; `groups` = its primary group first, then every
 *                POSIX group it is in, nested included (sorted by name); `sshkeys` as
 *                authorized_keys lines; `locked` when locked by an administrator or expired;
 *                `expire_at` (RFC 3339 or null) so hosts can refuse it on time while offline.
 *   UnixGroup    every POSIX group with the names of the POSIX accounts in it (nested included),
 *                and every POSIX account's implicit primary group (its own name, uuid and number,
 *                with itself as the member), so getgrgid(uid) resolves on hosts.
 *
 * Hosts ask for this constantly (the bulk calls fill their caches), so the whole view is built once
 * after a change and then served from memory: a lookup is one Map access. The objects are frozen
 * because they are shared between callers. The view also expires at the next account expiry, so
 * `locked` turns true on time without any write.
 */
import { WardError, shortName, type UnixAccount, type UnixGroup } from '@ward/proto';
import { iso, type DirectoryCore } from './core.js';
import { allAuthorizedKeys } from './ssh-keys.js';

interface Index<T> {
  byUuid: Map<string, T>;
  byName: Map<string, T>;
  byNumber: Map<number, T>;
}

interface UnixView {
  accounts: readonly UnixAccount[];
  groups: readonly UnixGroup[];
  accountIndex: Index<UnixAccount>;
  groupIndex: Index<UnixGroup>;
  validUntil: number;
}

interface AccountRow {
  uuid: string;
  name: string;
  displayname: string;
  posix_id: number;
  shell: string | null;
  locked: 0 | 1;
  expire_at: number | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER_RE = /^[0-9]{1,10}$/;

function indexOf<T extends { uuid: string; name: string }>(items: readonly T[], number: (item: T) => number): Index<T> {
  const index: Index<T> = { byUuid: new Map(), byName: new Map(), byNumber: new Map() };
  for (const item of items) {
    index.byUuid.set(item.uuid, item);
    index.byName.set(item.name, item);
    index.byNumber.set(number(item), item);
  }
  return index;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function build(core: DirectoryCore): UnixView {
  const closure = core.closure();
  const now = core.now();
  let validUntil = Infinity;
  // Both lists come sorted by name, so a row's position is its sort rank: the per-entry lists
  // below are sorted by comparing numbers, not strings.
  const accountRows = core
    .stmt(
      "SELECT uuid, name, displayname, posix_id, shell, locked, expire_at FROM entries WHERE kind != 'group' AND posix_id IS NOT NULL ORDER BY name",
    )
    .all() as AccountRow[];
  const groupRows = core
    .stmt("SELECT uuid, name, posix_id FROM entries WHERE kind = 'group' AND posix_id IS NOT NULL ORDER BY name")
    .all() as Array<{ uuid: string; name: string; posix_id: number }>;
  const keys = allAuthorizedKeys(core);

  const groupRank = new Map<string, number>();
  const groupRefs = groupRows.map((g, rank) => {
    groupRank.set(g.uuid, rank);
    return Object.freeze({ name: g.name, spn: core.spn(g.name), gidnumber: g.posix_id });
  });
  const accountRank = new Map<string, number>();
  const accounts: UnixAccount[] = [];
  const personalGroups: UnixGroup[] = [];
  for (const [rank, row] of accountRows.entries()) {
    accountRank.set(row.uuid, rank);
    const spn = core.spn(row.name);
    const ranks: number[] = [];
    for (const g of closure.memberOf(row.uuid)) {
      const r = groupRank.get(g);
      if (r !== undefined) ranks.push(r);
    }
    ranks.sort((a, b) => a - b);
    const expired = row.expire_at !== null && row.expire_at <= now;
    if (row.expire_at !== null && row.expire_at > now) validUntil = Math.min(validUntil, row.expire_at);
    accounts.push(
      Object.freeze({
        uuid: row.uuid,
        name: row.name,
        spn,
        displayname: row.displayname,
        uidnumber: row.posix_id,
        gidnumber: row.posix_id,
        shell: row.shell ?? '',
        groups: Object.freeze([{ name: row.name, spn, gidnumber: row.posix_id }, ...ranks.map((r) => groupRefs[r]!)]),
        sshkeys: Object.freeze(keys.get(row.uuid) ?? []),
        locked: row.locked === 1 || expired,
        expire_at: row.expire_at === null ? null : iso(row.expire_at),
      }) as UnixAccount,
    );
    personalGroups.push(
      Object.freeze({ uuid: row.uuid, name: row.name, spn, gidnumber: row.posix_id, members: Object.freeze([row.name]) }) as UnixGroup,
    );
  }
  const groups = groupRows.map((g, i) => {
    const ranks: number[] = [];
    for (const uuid of closure.effectiveMembers(g.uuid)) {
      const r = accountRank.get(uuid);
      if (r !== undefined) ranks.push(r);
    }
    ranks.sort((a, b) => a - b);
    const members = Object.freeze(ranks.map((r) => accountRows[r]!.name));
    return Object.freeze({ uuid: g.uuid, name: g.name, spn: groupRefs[i]!.spn, gidnumber: g.posix_id, members }) as UnixGroup;
  });
  const allGroups = [...groups, ...personalGroups].sort(byName);
  return {
    accounts: Object.freeze(accounts),
    groups: Object.freeze(allGroups),
    accountIndex: indexOf(accounts, (a) => a.uidnumber),
    groupIndex: indexOf(allGroups, (g) => g.gidnumber),
    validUntil,
  };
}

function view(core: DirectoryCore): UnixView {
  return core.cached('unix-view', 'data', () => build(core), (v) => v.validUntil);
}

/** The entry a reference names in `index`: uuid, decimal number, name or spn of this domain. */
function lookup<T>(core: DirectoryCore, index: Index<T>, ref: string, what: string): T {
  let found: T | undefined;
  if (typeof ref === 'string') {
    if (UUID_RE.test(ref)) found = index.byUuid.get(ref.toLowerCase());
    else if (NUMBER_RE.test(ref)) found = index.byNumber.get(Number(ref));
    else {
      const name = shortName(ref, core.domain);
      if (name !== undefined) found = index.byName.get(name);
    }
  }
  if (!found) throw new WardError('not_found', `no POSIX ${what} "${String(ref).slice(0, 320)}"`);
  return found;
}

export function getUnixAccount(core: DirectoryCore, ref: string): UnixAccount {
  return lookup(core, view(core).accountIndex, ref, 'account');
}

export function listUnixAccounts(core: DirectoryCore): UnixAccount[] {
  return view(core).accounts as UnixAccount[];
}

export function getUnixGroup(core: DirectoryCore, ref: string): UnixGroup {
  return lookup(core, view(core).groupIndex, ref, 'group');
}

export function listUnixGroups(core: DirectoryCore): UnixGroup[] {
  return view(core).groups as UnixGroup[];
}
