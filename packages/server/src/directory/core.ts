/**
 * The directory's shared state: the database handle, prepared statements, entry lookups and the
 * caches derived from the data. The operation modules (accounts, groups, ssh, credentials, unix
 * view) are functions over this core; none of them talks to SQLite any other way.
 *
 * Caches and their invalidation. Two generation counters say when derived data is stale:
 *   membership  bumped by every membership change and every delete (the edges change);
 *   data        bumped by every change a view can show (entries, memberships, SSH keys).
 * A cache records the generation it was built at and is rebuilt lazily, once, on the next read
 * after a change. Changes made by another process (a `wardd` command on the same file) are noticed
 * through SQLite's `PRAGMA data_version`, which moves only when another connection commits.
 * Nothing built inside an open transaction is kept, since that data may still roll back.
 *
 * Commit hooks. Every write goes through write(): hooks registered with beforeCommit() run at the
 * end of its transaction (the unix change log turns the facts the triggers recorded into log rows
 * there, atomically with the change), and those registered with afterCommit() once the outermost
 * transaction committed (the long poll wakes its waiters).
 */
import type Database from 'better-sqlite3';
import { WardError, shortName } from '@ward/proto';
import { MembershipClosure, effectiveMembersOne, memberOfOne } from './closure.js';
import { BUILTIN_GROUPS } from './types.js';

export type EntryKind = 'person' | 'service_account' | 'group';
export type BuiltinGroupName = keyof typeof BUILTIN_GROUPS;

export interface EntryRow {
  uuid: string;
  kind: EntryKind;
  name: string;
  displayname: string;
  description: string | null;
  /** JSON array of strings */
  mail: string;
  builtin: 0 | 1;
  locked: 0 | 1;
  expire_at: number | null;
  posix_id: number | null;
  shell: string | null;
  created_at: number;
  updated_at: number;
}

export type CacheScope = 'data' | 'membership';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const KIND_LABEL: Record<EntryKind, string> = {
  person: 'person',
  service_account: 'service account',
  group: 'group',
};

interface CacheSlot {
  gen: number;
  validUntil: number;
  value: unknown;
}

export class DirectoryCore {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly caches = new Map<string, CacheSlot>();
  private readonly runTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly dataVersion: Database.Statement;
  private lastDataVersion: number;
  private generations = { data: 0, membership: 0 };
  private builtinGroupUuids: Map<string, string> | undefined;
  private readonly beforeCommitHooks: Array<() => void> = [];
  private readonly afterCommitHooks: Array<() => void> = [];

  constructor(
    readonly db: Database.Database,
    readonly domain: string,
  ) {
    this.runTransaction = db.transaction((fn: () => unknown) => fn());
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.lastDataVersion = this.dataVersion.get() as number;
  }

  /** A prepared statement, compiled once per SQL text. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in an IMMEDIATE transaction: all of it or none of it. */
  write<T>(fn: () => T): T {
    const outermost = !this.db.inTransaction;
    const result = this.runTransaction.immediate(() => {
      const value = fn();
      for (const hook of this.beforeCommitHooks) hook();
      return value;
    }) as T;
    if (outermost) for (const hook of this.afterCommitHooks) hook();
    return result;
  }

  /** `hook` runs at the end of every write transaction, inside it; it may write too. */
  beforeCommit(hook: () => void): void {
    this.beforeCommitHooks.push(hook);
  }

  /** `hook` runs after every outermost write transaction committed; it must not throw. */
  afterCommit(hook: () => void): void {
    this.afterCommitHooks.push(hook);
  }

  now(): number {
    return Date.now();
  }

  spn(name: string): string {
    return `${name}@${this.domain}`;
  }

  /** Marks derived data stale; `membership` also covers `data`. */
  changed(scope: CacheScope): void {
    this.generations.data += 1;
    if (scope === 'membership') this.generations.membership += 1;
  }

  /** The generation of `scope` now: it moves whenever data of that scope may have changed. */
  generation(scope: CacheScope): number {
    this.noticeOtherWriters();
    return this.generations[scope];
  }

  private noticeOtherWriters(): void {
    const version = this.dataVersion.get() as number;
    if (version !== this.lastDataVersion) {
      this.lastDataVersion = version;
      this.changed('membership');
    }
  }

  /** True when a cache of `scope` built now would still be current (nothing changed since `key`). */
  isFresh(key: string, scope: CacheScope): boolean {
    this.noticeOtherWriters();
    const slot = this.caches.get(key);
    return slot !== undefined && slot.gen === this.generations[scope] && slot.validUntil > this.now();
  }

  /**
   * The value under `key`, rebuilt by `build` when the data of `scope` changed since, or when the
   * instant `validUntil(value)` (e.g. the next account expiry) has passed.
   */
  cached<T>(key: string, scope: CacheScope, build: () => T, validUntil?: (value: T) => number): T {
    if (this.isFresh(key, scope)) return this.caches.get(key)!.value as T;
    const gen = this.generations[scope];
    const value = build();
    // Inside a transaction the data may still roll back: use it, but do not keep it.
    if (this.db.inTransaction) return value;
    this.caches.set(key, { gen, validUntil: validUntil ? validUntil(value) : Infinity, value });
    return value;
  }

  // ---- entries ------------------------------------------------------------------------------

  entryByUuid(uuid: string): EntryRow | undefined {
    return this.stmt('SELECT * FROM entries WHERE uuid = ?').get(uuid.toLowerCase()) as EntryRow | undefined;
  }

  entryByName(name: string): EntryRow | undefined {
    return this.stmt('SELECT * FROM entries WHERE name = ?').get(name) as EntryRow | undefined;
  }

  /** Re-reads an entry inside a write transaction (it may have gone since the checks). */
  reread(uuid: string): EntryRow {
    const row = this.entryByUuid(uuid);
    if (!row) throw new WardError('not_found', 'the entry was deleted meanwhile');
    return row;
  }

  /** The entry a reference names: a uuid, a name, or an spn of this domain. */
  resolve(ref: string): EntryRow | undefined {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 320) return undefined;
    if (UUID_RE.test(ref)) return this.entryByUuid(ref);
    const name = shortName(ref, this.domain);
    return name === undefined ? undefined : this.entryByName(name);
  }

  /** The entry of one of `kinds`, or not_found naming what was looked for. */
  require(ref: string, kinds: readonly EntryKind[]): EntryRow {
    const row = this.resolve(ref);
    if (row && kinds.includes(row.kind)) return row;
    const what = kinds.map((k) => KIND_LABEL[k]).join(' or ');
    throw new WardError('not_found', `no ${what} "${String(ref).slice(0, 320)}"`);
  }

  /** Sorted names of the given entries. */
  names(uuids: Iterable<string>): string[] {
    const list = [...uuids];
    if (list.length === 0) return [];
    const rows = this.stmt('SELECT name FROM entries WHERE uuid IN (SELECT value FROM json_each(?)) ORDER BY name')
      .pluck()
      .all(JSON.stringify(list)) as string[];
    return rows;
  }

  builtinGroupUuid(name: BuiltinGroupName): string | undefined {
    if (!this.builtinGroupUuids) {
      const rows = this.stmt("SELECT name, uuid FROM entries WHERE builtin = 1 AND kind = 'group'").all() as Array<{
        name: string;
        uuid: string;
      }>;
      if (rows.length === 0) return undefined; // not seeded yet
      this.builtinGroupUuids = new Map(rows.map((r) => [r.name, r.uuid]));
    }
    return this.builtinGroupUuids.get(name);
  }

  // ---- membership ---------------------------------------------------------------------------

  directParents(uuid: string): string[] {
    return this.stmt('SELECT group_uuid FROM memberships WHERE member_uuid = ?').pluck().all(uuid) as string[];
  }

  directMembers(group: string): string[] {
    return this.stmt('SELECT member_uuid FROM memberships WHERE group_uuid = ?').pluck().all(group) as string[];
  }

  /** The closure of every membership, rebuilt once per membership change. */
  closure(): MembershipClosure {
    return this.cached('closure', 'membership', () => {
      const edges = this.stmt('SELECT group_uuid AS "group", member_uuid AS member FROM memberships').all() as Array<{
        group: string;
        member: string;
      }>;
      const groups = new Set(this.stmt("SELECT uuid FROM entries WHERE kind = 'group'").pluck().all() as string[]);
      return new MembershipClosure(edges, (uuid) => groups.has(uuid));
    });
  }

  /** Every group `uuid` is in, nested ones included (from the closure when current). */
  memberOf(uuid: string): ReadonlySet<string> {
    if (this.isFresh('closure', 'membership')) return this.closure().memberOf(uuid);
    return memberOfOne(uuid, (u) => this.directParents(u));
  }

  /** Every account in `group`, through nested groups too. */
  effectiveMembers(group: string): readonly string[] {
    if (this.isFresh('closure', 'membership')) return this.closure().effectiveMembers(group);
    const children = this.stmt(
      "SELECT m.member_uuid, e.kind = 'group' FROM memberships m JOIN entries e ON e.uuid = m.member_uuid WHERE m.group_uuid = ?",
    ).raw();
    return [...effectiveMembersOne(group, (g) => (children.all(g) as Array<[string, number]>).map(([u, isGroup]) => [u, isGroup === 1] as const))];
  }

  // ---- settings -----------------------------------------------------------------------------

  getSetting(key: string): string | undefined {
    return this.stmt('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  }

  setSetting(key: string, value: string): void {
    this.stmt('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      key,
      value,
    );
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
