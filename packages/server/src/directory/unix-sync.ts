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
 * Fan-out: after one change, every waiting host asks for the same (cursor, head). The answer is
 * memoized per (log id, since, head), so it is projected once, not once per host.
 */
import { UNIX_SYNC_MAX_PAGE, UNIX_SYNC_MAX_WAIT_S, WardError, type UnixAccountPage, type UnixChanges, type UnixGroupPage } from '@ward/proto';
import type { DirectoryCore } from './core.js';
import type { LogKind, UnixChangeLog } from './unix-change-log.js';
import type { UnixChangeWaiters } from './unix-change-waiters.js';
import {
  ACCOUNT_COLUMNS, GROUP_COLUMNS, IS_POSIX_ACCOUNT, IS_POSIX_GROUP, accountRowsByUuid, groupRowsByUuid, membership, projectAccounts,
  projectGroups, type AccountRow, type GroupRow,
} from './unix-projection.js';

/** Seconds a long poll waits when the host does not say. */
export const UNIX_SYNC_DEFAULT_WAIT_S = 25;
/** Entries per listing page when the host does not say. */
export const UNIX_SYNC_DEFAULT_PAGE = 1000;
/** A change page with more entries than this builds the membership closure instead of walking per entry. */
const BULK_PROJECTION = 256;
/** Memoized change pages kept (most recently used). */
const MEMO_SIZE = 32;

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
  private readonly memo = new Map<string, UnixChanges>();

  constructor(
    private readonly core: DirectoryCore,
    readonly log: UnixChangeLog,
  ) {}

  /** The cursor of the log's head now. */
  headCursor(): string {
    return formatCursor(this.log.logId(), this.log.head());
  }

  accountsPage(after?: string, limit?: string | number): UnixAccountPage {
    return this.page(`SELECT ${ACCOUNT_COLUMNS} FROM entries WHERE uuid > ? AND ${IS_POSIX_ACCOUNT} ORDER BY uuid LIMIT ?`, after, limit, (rows: AccountRow[]) =>
      projectAccounts(this.core, rows, membership(this.core, true)),
    );
  }

  groupsPage(after?: string, limit?: string | number): UnixGroupPage {
    return this.page(`SELECT ${GROUP_COLUMNS} FROM entries WHERE uuid > ? AND ${IS_POSIX_GROUP} ORDER BY uuid LIMIT ?`, after, limit, (rows: GroupRow[]) =>
      projectGroups(this.core, rows, membership(this.core, true)),
    );
  }

  /** One listing page: the head's cursor first, then the rows after `after` in uuid order. */
  private page<Row extends { uuid: string }, Item>(
    sql: string,
    after: string | undefined,
    limit: string | number | undefined,
    project: (rows: Row[]) => Item[],
  ): { cursor: string; items: Item[]; next: string | null } {
    const size = pageLimit(limit);
    const from = afterKey(after);
    this.log.catchUp();
    const cursor = this.headCursor();
    const rows = this.core.stmt(sql).all(from, size + 1) as Row[];
    const more = rows.length > size;
    if (more) rows.pop();
    return { cursor, items: project(rows), next: more ? rows[rows.length - 1]!.uuid : null };
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
    const key = `${logId}:${seq}:${head}`;
    const memoized = this.memo.get(key);
    if (memoized) {
      this.memo.delete(key); // re-insert: most recently used last
      this.memo.set(key, memoized);
      return memoized;
    }
    // Frozen: one answer goes to every host that asks for it.
    const answer = deepFreeze(this.compute(logId, seq, head));
    this.memo.set(key, answer);
    if (this.memo.size > MEMO_SIZE) this.memo.delete(this.memo.keys().next().value!);
    return answer;
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
          rows.return?.();
          break;
        }
        picked.set(key, row.kind);
      }
      last = row.seq;
    }
    const accountIds: string[] = [];
    const groupIds: string[] = [];
    for (const [key, kind] of picked) (kind === 'account' ? accountIds : groupIds).push(key.slice(kind.length + 1));
    const m = membership(this.core, picked.size > BULK_PROJECTION);
    const accounts = projectAccounts(this.core, accountRowsByUuid(this.core, accountIds), m);
    const groups = projectGroups(this.core, groupRowsByUuid(this.core, groupIds), m);
    const presentAccounts = new Set(accounts.map((a) => a.uuid));
    const presentGroups = new Set(groups.map((g) => g.uuid));
    return {
      cursor: formatCursor(logId, cursor),
      resync: false,
      accounts,
      groups,
      deleted_accounts: accountIds.filter((u) => !presentAccounts.has(u)),
      deleted_groups: groupIds.filter((u) => !presentGroups.has(u)),
      more,
    };
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

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function emptyChanges(cursor: string, resync: boolean): UnixChanges {
  return { cursor, resync, accounts: [], groups: [], deleted_accounts: [], deleted_groups: [], more: false };
}
