/**
 * Host sync of the unix view (issue 9; the wire contract and its protocol are described in
 * @ward/proto's api/unix.ts): paged listings keyed by uuid, and the changes since a cursor.
 *
 * Cursor: `<log id>-<seq>`, opaque to hosts. It is valid when it names this log (the id changes
 * with a restore or a new database) and a seq between the compaction floor and the head; anything
 * else, malformed input included, is answered `resync` with the head's cursor.
 *
 * Consistency without a read transaction: every answer reads the head FIRST and the entries after
 * it, so the entries are at least as new as the cursor handed out. A host that applies later
 * change pages from that cursor re-reads anything that changed meanwhile and so converges; an
 * entry read newer than its cursor is merely sent twice.
 *
 * Fan-out: after one change, every waiting host asks for the same (cursor, head); hosts listing
 * at the same time ask for the same pages. Answers are memoized per question and log head
 * (answer-memo.ts), so each is projected once, not once per host. The head is the right key:
 * every change of the unix view moves it (expiries through the sweep, other processes' writes
 * through catchUp, both run before the head is read). Below that, change pages reuse the
 * projection of each entry until the log names it again (the log tells this cache what it logs,
 * and to forget everything when another process commits): hosts at different cursors after a
 * burst of changes then share the work of projecting a group of 100,000 members.
 */
import { UNIX_SYNC_MAX_PAGE, UNIX_SYNC_MAX_WAIT_S, WardError, type UnixAccount, type UnixAccountPage, type UnixChanges, type UnixGroup, type UnixGroupPage } from '@ward/proto';
import { AnswerMemo, deepFreeze } from './answer-memo.js';
import type { DirectoryCore } from './core.js';
import type { LogKind, UnixChangeLog } from './unix-change-log.js';
import type { UnixChangeWaiters } from './unix-change-waiters.js';
import {
  ACCOUNT_COLUMNS, GROUP_COLUMNS, IS_POSIX_ACCOUNT, IS_POSIX_GROUP, POSIX_GROUPS_BY_UUID, accountRowsByUuid, groupRowsByUuid, membership, projectAccounts,
  projectGroups, type AccountRow, type GroupRow,
} from './unix-projection.js';

/** Seconds a long poll waits when the host does not say. */
export const UNIX_SYNC_DEFAULT_WAIT_S = 25;
/** Entries per listing page when the host does not say. */
export const UNIX_SYNC_DEFAULT_PAGE = 1000;
/** A change page with more entries than this builds the membership closure instead of walking per entry. */
const BULK_PROJECTION = 256;
/**
 * Sizes are counted in names: an entry weighs 1 plus the names it lists (a group's members, an
 * account's groups), so a group of 100,000 members weighs what 100,000 small accounts do. Each of
 * the two caches below holds at most this many: some 80,000 accounts, a few tens of MiB.
 */
const CACHE_WEIGHT = 500_000;

function weight(entries: ReadonlyArray<UnixAccount | UnixGroup>): number {
  let total = 0;
  for (const e of entries) total += 1 + ('members' in e ? e.members.length : e.groups.length);
  return total;
}

const CURSOR_RE = /^([0-9a-f]{16})-(0|[1-9][0-9]{0,14})$/;

export function formatCursor(logId: string, seq: number): string {
  return `${logId}-${seq}`;
}

/** The seq of a cursor of log `logId`, or undefined when it is malformed or of another log. */
export function parseCursor(cursor: unknown, logId: string): number | undefined {
  if (typeof cursor !== 'string') return undefined;
  const match = CURSOR_RE.exec(cursor);
  if (!match || match[1] !== logId) return undefined;
  return Number(match[2]);
}

/** A page size from the query: absent means the default; 1 to UNIX_SYNC_MAX_PAGE. */
export function pageLimit(limit: string | number | undefined): number {
  if (limit === undefined) return UNIX_SYNC_DEFAULT_PAGE;
  const n = typeof limit === 'number' ? limit : /^[0-9]{1,5}$/.test(limit) ? Number(limit) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > UNIX_SYNC_MAX_PAGE) {
    throw new WardError('bad_request', `limit must be a whole number from 1 to ${UNIX_SYNC_MAX_PAGE}`);
  }
  return n;
}

/** The long poll's wait from the query: absent means the default; 0 to UNIX_SYNC_MAX_WAIT_S. */
export function waitSeconds(wait: string | number | undefined): number {
  if (wait === undefined) return UNIX_SYNC_DEFAULT_WAIT_S;
  const n = typeof wait === 'number' ? wait : /^[0-9]{1,2}$/.test(wait) ? Number(wait) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > UNIX_SYNC_MAX_WAIT_S) {
    throw new WardError('bad_request', `wait must be a whole number of seconds from 0 to ${UNIX_SYNC_MAX_WAIT_S}`);
  }
  return n;
}

function afterKey(after: string | undefined): string {
  if (after === undefined) return '';
  if (typeof after !== 'string' || after.length > 64) throw new WardError('bad_request', 'after must be the uuid a previous page ended at');
  return after.toLowerCase();
}

const isEmpty = (c: UnixChanges): boolean =>
  c.accounts.length + c.groups.length + c.deleted_accounts.length + c.deleted_groups.length === 0;

export class UnixSync {
  /** Whole answers (change pages, listing pages) per question and head. */
  private readonly memo = new AnswerMemo(CACHE_WEIGHT);
  /** Single entries' projections (null: not in the view), kept until the log names them again. */
  private readonly projections = new Map<string, UnixAccount | UnixGroup | null>();
  private projectionsWeight = 0;

  constructor(
    private readonly core: DirectoryCore,
    readonly log: UnixChangeLog,
  ) {
    log.onLogged((entries) => {
      if (entries === 'all') {
        this.projections.clear();
        this.projectionsWeight = 0;
      } else for (const [kind, uuid] of entries) this.forget(`${kind}:${uuid}`);
    });
  }

  /** A memoized answer; inside a transaction (tests) the data may still roll back, so none is kept. */
  private memoized<T>(key: string, compute: () => T, weightOf: (value: T) => number): T {
    return this.core.db.inTransaction ? compute() : this.memo.get(key, compute, weightOf);
  }

  /** The cursor of the log's head now. */
  headCursor(): string {
    return formatCursor(this.log.logId(), this.log.head());
  }

  accountsPage(after?: string, limit?: string | number): UnixAccountPage {
    return this.page('accounts', `SELECT ${ACCOUNT_COLUMNS} FROM entries WHERE uuid > ? AND ${IS_POSIX_ACCOUNT} ORDER BY uuid LIMIT ?`, after, limit, (rows: AccountRow[]) =>
      projectAccounts(this.core, rows, membership(this.core, true)),
    );
  }

  groupsPage(after?: string, limit?: string | number): UnixGroupPage {
    return this.page('groups', `SELECT ${GROUP_COLUMNS} FROM ${POSIX_GROUPS_BY_UUID} WHERE uuid > ? AND ${IS_POSIX_GROUP} ORDER BY uuid LIMIT ?`, after, limit, (rows: GroupRow[]) =>
      projectGroups(this.core, rows, membership(this.core, true)),
    );
  }

  /** One listing page: the head's cursor first, then the rows after `after` in uuid order. */
  private page<Row extends { uuid: string }, Item>(
    what: string,
    sql: string,
    after: string | undefined,
    limit: string | number | undefined,
    project: (rows: Row[]) => Item[],
  ): { cursor: string; items: Item[]; next: string | null } {
    const size = pageLimit(limit);
    const from = afterKey(after);
    this.log.catchUp();
    const cursor = this.headCursor();
    const compute = (): { cursor: string; items: Item[]; next: string | null } => {
      const rows = this.core.stmt(sql).all(from, size + 1) as Row[];
      const more = rows.length > size;
      if (more) rows.pop();
      return { cursor, items: project(rows), next: more ? rows[rows.length - 1]!.uuid : null };
    };
    return this.memoized(`${what}:${cursor}:${from}:${size}`, compute, (p) => weight(p.items as Array<UnixAccount | UnixGroup>));
  }

  /**
   * What changed after `since`: each entry once, as it is now, at most UNIX_SYNC_MAX_PAGE of them
   * (`more` when the page was cut; its cursor is then where it was cut).
   */
  changesSince(since: string): UnixChanges {
    this.log.catchUp();
    const logId = this.log.logId();
    const head = this.log.head();
    const headCursor = formatCursor(logId, head);
    const seq = parseCursor(since, logId);
    if (seq === undefined || seq < this.log.floor() || seq > head) return emptyChanges(headCursor, true);
    if (seq === head) return emptyChanges(headCursor, false);
    return this.memoized(
      `changes:${logId}:${seq}:${head}`,
      () => this.compute(logId, seq, head),
      (c) => weight(c.accounts) + weight(c.groups) + c.deleted_accounts.length + c.deleted_groups.length,
    );
  }

  private compute(logId: string, since: number, head: number): UnixChanges {
    const picked = new Map<string, LogKind>();
    let cursor = head;
    let more = false;
    const rows = this.core
      .stmt('SELECT seq, kind, uuid FROM unix_changes WHERE seq > ? AND seq <= ? ORDER BY seq')
      .iterate(since, head) as IterableIterator<{ seq: number; kind: LogKind; uuid: string }>;
    let last = since;
    for (const row of rows) {
      const key = `${row.kind}:${row.uuid}`;
      if (!picked.has(key)) {
        if (picked.size === UNIX_SYNC_MAX_PAGE) {
          more = true;
          cursor = last;
          break; // for-of closes the statement's iterator
        }
        picked.set(key, row.kind);
      }
      last = row.seq;
    }
    const entries = new Map<string, UnixAccount | UnixGroup | null>();
    const missing: Array<[string, LogKind]> = [];
    for (const [key, kind] of picked) {
      const kept = this.projections.get(key);
      if (kept === undefined) missing.push([key, kind]);
      else entries.set(key, kept);
    }
    for (const [key, entry] of this.project(missing)) entries.set(key, entry);
    const answer: UnixChanges = { cursor: formatCursor(logId, cursor), resync: false, accounts: [], groups: [], deleted_accounts: [], deleted_groups: [], more };
    for (const [key, kind] of picked) {
      const entry = entries.get(key);
      const uuid = key.slice(kind.length + 1);
      if (kind === 'account') entry ? answer.accounts.push(entry as UnixAccount) : answer.deleted_accounts.push(uuid);
      else entry ? answer.groups.push(entry as UnixGroup) : answer.deleted_groups.push(uuid);
    }
    return answer;
  }

  /** Projects the entries named (`kind:uuid` keys; null: not in the view) and keeps them. */
  private project(missing: ReadonlyArray<[string, LogKind]>): Map<string, UnixAccount | UnixGroup | null> {
    const ids = (kind: LogKind): string[] => missing.filter(([, k]) => k === kind).map(([key]) => key.slice(kind.length + 1));
    const m = membership(this.core, missing.length > BULK_PROJECTION);
    const found = new Map<string, UnixAccount | UnixGroup | null>(missing.map(([key]) => [key, null]));
    for (const a of projectAccounts(this.core, accountRowsByUuid(this.core, ids('account')), m)) found.set(`account:${a.uuid}`, deepFreeze(a));
    for (const g of projectGroups(this.core, groupRowsByUuid(this.core, ids('group')), m)) found.set(`group:${g.uuid}`, deepFreeze(g));
    if (this.core.db.inTransaction) return found; // may still roll back: use, do not keep
    for (const [key, entry] of found) {
      this.forget(key);
      this.projections.set(key, entry);
      this.projectionsWeight += entry ? weight([entry]) : 1;
    }
    for (const key of this.projections.keys()) {
      if (this.projectionsWeight <= CACHE_WEIGHT) break;
      this.forget(key); // the oldest first
    }
    return found;
  }

  private forget(key: string): void {
    const entry = this.projections.get(key);
    if (entry === undefined) return;
    this.projections.delete(key);
    this.projectionsWeight -= entry ? weight([entry]) : 1;
  }

  /**
   * The long poll: the changes since `since` at once when there are any (or a resync), else the
   * first changes after the head moves past it, or the same empty answer after `waitS` seconds,
   * when `signal` aborts (the host hung up) or when `waiters` close (shutdown).
   */
  async waitForChanges(waiters: UnixChangeWaiters, since: string, waitS: number, signal?: AbortSignal): Promise<UnixChanges> {
    const first = this.changesSince(since);
    if (first.resync || first.more || !isEmpty(first) || waitS === 0) return first;
    await waiters.wait(parseCursor(first.cursor, this.log.logId()) ?? -1, waitS * 1000, signal);
    // A host that hung up gets nothing; do not project a page for it.
    return signal?.aborted ? first : this.changesSince(since);
  }
}

function emptyChanges(cursor: string, resync: boolean): UnixChanges {
  return { cursor, resync, accounts: [], groups: [], deleted_accounts: [], deleted_groups: [], more: false };
}
