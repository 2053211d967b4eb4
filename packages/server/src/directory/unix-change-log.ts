/**
 * The unix change log (schema and triggers: store/unix-change-log.ts): which accounts and groups
 * changed in the unix view, in commit order, for hosts that follow it (unix-sync.ts).
 *
 * Expansion. The triggers record raw facts (an entry changed, a membership edge came or went, an
 * SSH key came or went, a unix password was set); at the end of every write transaction, before
 * its commit, expand() turns them into the entries whose projection may differ:
 *   entry E changed        E itself; when its name, number or existence changed, also the groups
 *                          it is in (an account: their member names) or the accounts in it (a
 *                          group: their group lists).
 *   edge (G, M) came/went  accounts: M, or every account in M when M is a group; groups: G and
 *                          every group G sits in (nesting, cycles included).
 *   SSH key or unix password of account A   A.
 * The walks run over the graph as the transaction leaves it, and still find what lost a path: a
 * path between account A and group G that existed before and not after (or the other way round)
 * has an edge that went (or came) in this transaction. The fact of the highest such edge on the
 * path names G (the rest of the path above it is intact), the lowest names A (the rest below it
 * is intact); a deleted entry's edges go with it and are facts too. Work is proportional to the
 * entries the write touches; nothing is rebuilt. Entries that are not POSIX now and were not
 * before the write are left out: hosts never had them.
 *
 * Other processes (`wardd` commands) write through the same DirectoryCore, so they expand their
 * own facts; facts committed without expansion (a raw SQL write) are expanded on the next write or
 * read here (flushForeignFacts).
 *
 * Compaction keeps the log bounded: rows older than KEEP_MS, and all but the newest KEEP_ROWS, are
 * deleted; the highest deleted seq is kept as the floor, and a cursor below it is told to resync.
 *
 * Expiry. `locked` turns true when an account's expire_at passes, with no write. The expiry sweep
 * logs such accounts once their moment has passed (at the next read or waiter tick after it), so
 * hosts following the log see the lock as a change.
 */
import { UNIX_LOG_ID_SETTING } from '../store/unix-change-log.js';
import { effectiveMembersOne, memberOfOne } from './closure.js';
import type { DirectoryCore, EntryKind } from './core.js';
import { IS_POSIX_ACCOUNT } from './unix-projection.js';

/** Rows kept at most: a host further behind lists everything again. */
export const UNIX_LOG_KEEP_ROWS = 250_000;
/** Age of the oldest row kept: a host away longer lists everything again. */
export const UNIX_LOG_KEEP_MS = 7 * 24 * 3600 * 1000;
/** How often a process compacts (at its next write after this long). */
const COMPACT_EVERY_MS = 10 * 60 * 1000;

const FLOOR_SETTING = 'directory.unix_log_floor';
const SWEPT_SETTING = 'directory.unix_expiry_swept_at';

export interface ChangeLogLimits {
  keepRows: number;
  keepMs: number;
}

interface FactRow {
  fact: 'entry' | 'edge' | 'account';
  uuid: string;
  other: string | null;
  entry_kind: EntryKind | null;
  wide: 0 | 1;
  posix: 0 | 1;
}

export type LogKind = 'account' | 'group';

/**
 * Walks the membership graph as it is at the end of the transaction, memoized per entry (a write
 * adding a thousand members to one group walks above that group once).
 */
class Walks {
  private readonly kinds = new Map<string, EntryKind | undefined>();
  private readonly up = new Map<string, Set<string>>();
  private readonly down = new Map<string, Set<string>>();

  constructor(
    private readonly core: DirectoryCore,
    private readonly goneKinds: ReadonlyMap<string, EntryKind>,
  ) {}

  /** The kind of an entry, or of one the transaction deleted. */
  kindOf(uuid: string): EntryKind | undefined {
    if (!this.kinds.has(uuid)) {
      const kind = this.core.stmt('SELECT kind FROM entries WHERE uuid = ?').pluck().get(uuid) as EntryKind | undefined;
      this.kinds.set(uuid, kind ?? this.goneKinds.get(uuid));
    }
    return this.kinds.get(uuid);
  }

  /** Every group `uuid` is in, nested included. */
  groupsOf(uuid: string): Set<string> {
    let result = this.up.get(uuid);
    if (!result) {
      result = memberOfOne(uuid, (u) => this.core.directParents(u));
      this.up.set(uuid, result);
    }
    return result;
  }

  /** Every account in `group`, nested included. */
  accountsIn(group: string): Set<string> {
    let result = this.down.get(group);
    if (!result) {
      result = effectiveMembersOne(group, (g) => this.core.directMembers(g).map((u) => [u, this.kindOf(u) === 'group'] as const));
      this.down.set(group, result);
    }
    return result;
  }
}

export class UnixChangeLog {
  private lastCompaction = 0;
  private readonly dataVersion;
  private lastDataVersion: number;
  private nextExpiryCache: { gen: number; swept: number; value: number } | undefined;
  private readonly listeners: Array<(entries: ReadonlyArray<[LogKind, string]> | 'all') => void> = [];

  constructor(
    private readonly core: DirectoryCore,
    private readonly limits: ChangeLogLimits = { keepRows: UNIX_LOG_KEEP_ROWS, keepMs: UNIX_LOG_KEEP_MS },
  ) {
    core.beforeCommit(() => this.expand());
    this.dataVersion = core.db.prepare('PRAGMA data_version').pluck();
    this.lastDataVersion = this.dataVersion.get() as number;
  }

  /** The id of this history of seqs (changes on restore and with a new database). */
  logId(): string {
    return this.core.getSetting(UNIX_LOG_ID_SETTING) ?? '';
  }

  /** The newest seq ever written (0 for an empty log). */
  head(): number {
    return (this.core.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'unix_changes'").pluck().get() as number | undefined) ?? 0;
  }

  /** The highest seq compaction removed: cursors below it missed changes. */
  floor(): number {
    return Number(this.core.getSetting(FLOOR_SETTING) ?? 0);
  }

  /** Turns the pending facts into log rows; runs inside every write transaction (core.beforeCommit). */
  private expand(): void {
    const facts = this.core.stmt('SELECT fact, uuid, other, entry_kind, wide, posix FROM unix_change_facts ORDER BY id').all() as FactRow[];
    const now = this.core.now();
    if (this.core.getSetting(SWEPT_SETTING) === undefined) this.core.setSetting(SWEPT_SETTING, String(now));
    if (facts.length > 0) {
      this.core.stmt('DELETE FROM unix_change_facts').run();
      this.append(this.affected(facts), now);
    }
    if (now - this.lastCompaction >= COMPACT_EVERY_MS) this.compact(now);
  }

  /** The accounts and groups whose projection the facts may have changed, POSIX now or before. */
  private affected(facts: readonly FactRow[]): Array<[LogKind, string]> {
    const goneKinds = new Map<string, EntryKind>();
    const wasPosix = new Set<string>();
    for (const f of facts) {
      if (f.fact !== 'entry') continue;
      if (f.entry_kind) goneKinds.set(f.uuid, f.entry_kind);
      if (f.posix === 1) wasPosix.add(f.uuid);
    }
    const graph = new Walks(this.core, goneKinds);
    const accounts = new Set<string>();
    const groups = new Set<string>();
    const addAll = (target: Set<string>, from: Iterable<string>): void => {
      for (const uuid of from) target.add(uuid);
    };
    for (const f of facts) {
      if (f.fact === 'account') accounts.add(f.uuid);
      else if (f.fact === 'edge') {
        const member = f.other!;
        groups.add(f.uuid);
        addAll(groups, graph.groupsOf(f.uuid));
        if (graph.kindOf(member) === 'group') addAll(accounts, graph.accountsIn(member));
        else accounts.add(member);
      } else if (f.entry_kind === 'group') {
        groups.add(f.uuid);
        if (f.wide === 1) addAll(accounts, graph.accountsIn(f.uuid));
      } else {
        accounts.add(f.uuid);
        if (f.wide === 1) addAll(groups, graph.groupsOf(f.uuid));
      }
    }
    const candidates = [...accounts, ...groups];
    const posixNow = new Set(
      this.core
        .stmt('SELECT uuid FROM entries WHERE uuid IN (SELECT value FROM json_each(?)) AND posix_id IS NOT NULL')
        .pluck()
        .all(JSON.stringify(candidates)) as string[],
    );
    const keep = (uuid: string): boolean => posixNow.has(uuid) || wasPosix.has(uuid);
    return [
      ...[...accounts].filter(keep).map((uuid) => ['account', uuid] as [LogKind, string]),
      ...[...groups].filter(keep).map((uuid) => ['group', uuid] as [LogKind, string]),
    ];
  }

  /**
   * `listener` hears of every entry this process logs (at once, inside the transaction) and, as
   * 'all', of commits by other processes, whose entries it cannot know: caches of projections
   * drop exactly what may have changed.
   */
  onLogged(listener: (entries: ReadonlyArray<[LogKind, string]> | 'all') => void): void {
    this.listeners.push(listener);
  }

  private append(changes: ReadonlyArray<[LogKind, string]>, now: number): void {
    const insert = this.core.stmt('INSERT INTO unix_changes (kind, uuid, at) VALUES (?, ?, ?)');
    for (const [kind, uuid] of changes) insert.run(kind, uuid, now);
    for (const listener of this.listeners) listener(changes);
  }

  /** Deletes rows beyond the limits and raises the floor; inside a write transaction. */
  private compact(now: number): void {
    this.lastCompaction = now;
    const byRows = this.head() - this.limits.keepRows;
    const byAge = (this.core.stmt('SELECT MAX(seq) FROM unix_changes WHERE at < ?').pluck().get(now - this.limits.keepMs) as number | null) ?? 0;
    const cut = Math.max(byRows, byAge);
    if (cut <= this.floor()) return;
    this.core.stmt('DELETE FROM unix_changes WHERE seq <= ?').run(cut);
    this.core.setSetting(FLOOR_SETTING, String(cut));
  }

  /** Compacts now, whatever the time since the last compaction (tests, maintenance). */
  compactNow(): void {
    this.core.write(() => this.compact(this.core.now()));
  }

  /**
   * Expands facts another process committed without expanding them, and logs the accounts whose
   * expiry has passed. Cheap when there is nothing to do: one PRAGMA and one comparison.
   */
  catchUp(): void {
    const version = this.dataVersion.get() as number;
    if (version !== this.lastDataVersion) {
      this.lastDataVersion = version;
      for (const listener of this.listeners) listener('all');
      if (this.core.stmt('SELECT 1 FROM unix_change_facts LIMIT 1').get() !== undefined) this.core.write(() => undefined);
    }
    if (this.core.now() >= this.nextExpiry()) this.sweepExpiries();
  }

  /** The earliest expiry of a POSIX account still to be swept (Infinity: none). */
  private nextExpiry(): number {
    const gen = this.core.generation('data');
    const swept = Number(this.core.getSetting(SWEPT_SETTING) ?? 0);
    const cached = this.nextExpiryCache;
    if (cached && cached.gen === gen && cached.swept === swept) return cached.value;
    const next = this.core
      .stmt(`SELECT MIN(expire_at) FROM entries WHERE expire_at > ? AND ${IS_POSIX_ACCOUNT}`)
      .pluck()
      .get(swept) as number | null;
    const value = next ?? Infinity;
    this.nextExpiryCache = { gen, swept, value };
    return value;
  }

  private sweepExpiries(): void {
    this.core.write(() => {
      const now = this.core.now();
      const swept = Number(this.core.getSetting(SWEPT_SETTING) ?? now);
      const due = this.core
        .stmt(`SELECT uuid FROM entries WHERE expire_at > ? AND expire_at <= ? AND ${IS_POSIX_ACCOUNT}`)
        .pluck()
        .all(swept, now) as string[];
      this.append(due.map((uuid) => ['account', uuid]), now);
      this.core.setSetting(SWEPT_SETTING, String(now));
    });
  }
}
