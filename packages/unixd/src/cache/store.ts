/**
 * The on-disk cache: one SQLite file (WAL) holding the last copy of every account and group the
 * IdP gave us, when each was fetched, and the offline password hashes. It survives restarts, so
 * a host booting while the IdP is down still resolves its users.
 *
 * The daemon is the only writer and better-sqlite3 is synchronous, so every write is bounded:
 * the sync client (resolver/sync.ts) applies a listing or a change page in chunks of at most
 * WRITE_CHUNK entries, each its own short transaction, and the cursor it follows is stored in
 * `meta` in the same transaction as the last chunk of the page it belongs to. A file that is not
 * a readable database is moved aside and replaced: it is a cache, the IdP holds the truth.
 *
 * Tables (read by the NSS map writer from a second connection too): account(uuid, name, spn,
 * uid, pgid, data JSON, fetched_at), grp(uuid, name, spn, gid, data JSON, fetched_at),
 * password(uuid, hash, stored_at), meta(key, value). `pgid` is the gid of the account's private
 * group (render.ts privateGroupOf) or null, so group enumeration pages from an index.
 */
import type Database from 'better-sqlite3';
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import type { UnixAccount, UnixGroup } from '@ward/proto';
import type { Logger } from '../log.js';
import { privateGroupOf } from '../resolver/render.js';
import { openDb } from './schema.js';

/** Entries written per transaction by the bulk writers: a few milliseconds each. */
export const WRITE_CHUNK = 100;
const COUNT_EVERY_MS = 1000;
/** How far this host's clock may trail the IdP's when judging a hash stored before schema 4. */
export const PASSWORD_CLOCK_MARGIN_MS = 5 * 60_000;

export interface Cached<T> {
  value: T;
  /** ms since the epoch; 0 after an invalidate. */
  fetchedAt: number;
  /** Length of the stored JSON: what the memory layer budgets by. */
  bytes?: number;
}

export type AccountKey = 'name' | 'spn' | 'uid' | 'uuid';
export type GroupKey = 'name' | 'spn' | 'gid' | 'uuid';
type Row = { data: string; fetched_at: number };

/** What passwd enumeration reads of an account. */
export type PasswdSource = Pick<UnixAccount, 'uuid' | 'name' | 'spn' | 'uidnumber' | 'gidnumber' | 'displayname' | 'shell'>;

/** A chunk of a change page, already validated (idp/sanitize.ts). */
export interface ChangeChunk {
  accounts: readonly UnixAccount[];
  groups: readonly UnixGroup[];
  deletedAccounts: readonly string[];
  deletedGroups: readonly string[];
}

export class CacheStore {
  /** Bumped on every write, so derived views (enumeration pages, the memory layer) know to rebuild. */
  generation = 0;
  private readonly st: Statements;
  /** When an empty change page last confirmed the stored cursor (applyChanges). */
  private confirmedAt: number | undefined;
  private counted: { users: number; groups: number; generation: number; at: number } | undefined;

  private constructor(private readonly db: Database.Database) {
    this.st = prepare(db);
  }

  /** Opens (or creates) the cache file; a damaged file is moved aside and a fresh one created. */
  static open(file: string, log: Logger): CacheStore {
    try {
      return new CacheStore(openDb(file, log));
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!/^SQLITE_(CORRUPT|NOTADB)/.test(code)) throw e;
      const aside = `${file}.corrupt-${Date.now()}`;
      log.error(`the cache ${file} is damaged (${code}); moved it to ${aside} and starting with an empty cache`);
      renameSync(file, aside);
      for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) unlinkSync(file + suffix);
      return new CacheStore(openDb(file, log));
    }
  }

  account(by: AccountKey, key: string | number): Cached<UnixAccount> | undefined {
    return toCached<UnixAccount>(this.st.account[by].get(key) as Row | undefined);
  }

  group(by: GroupKey, key: string | number): Cached<UnixGroup> | undefined {
    return toCached<UnixGroup>(this.st.group[by].get(key) as Row | undefined);
  }

  /**
   * Up to `limit` accounts after uid `afterUid`, by uid (the uid is unique): a keyset page for
   * passwd enumeration, O(limit) whatever the position. Only what a passwd record and the
   * local-wins check need is read out of the JSON (by SQLite): enumerating 100,000 users must not
   * parse 100,000 full entries (keys, group lists) into the heap.
   */
  passwdAfter(afterUid: number, limit: number): PasswdSource[] {
    return this.st.passwdAfter.all(afterUid, limit) as PasswdSource[];
  }

  /**
   * Up to `limit` groups after (gid, name) and not after `upTo` when given, by gid: group
   * enumeration's real groups.
   */
  groupsAfter(gid: number, name: string, limit: number, upTo?: { gid: number; name: string }): UnixGroup[] {
    const rows = upTo ? this.st.groupsBetween.all(gid, name, upTo.gid, upTo.name, limit) : this.st.groupsAfter.all(gid, name, limit);
    return (rows as Row[]).map((r) => JSON.parse(r.data) as UnixGroup);
  }

  /**
   * Up to `limit` private groups (render.ts privateGroupOf) after (gid, name), by (gid, name), of
   * accounts whose private gid no real group has: group enumeration's private groups.
   */
  privateGroupsAfter(gid: number, name: string, limit: number): UnixGroup[] {
    return (this.st.privateAfter.all(gid, name, limit) as Array<Omit<UnixGroup, 'members'>>).map((g) => ({ ...g, members: [g.name] }));
  }

  putAccount(a: UnixAccount, fetchedAt: number): void {
    this.db.transaction(() => {
      this.writeAccount(a, fetchedAt);
      this.st.orphanPasswords.run();
    })();
    this.generation++;
  }

  putGroup(g: UnixGroup, fetchedAt: number): void {
    this.db.transaction(() => this.writeGroup(g, fetchedAt))();
    this.generation++;
  }

  deleteAccount(uuid: string): void {
    this.db.transaction(() => {
      this.st.deleteAccount.run(uuid);
      this.st.dropPassword.run(uuid);
    })();
    this.generation++;
  }

  deleteGroup(uuid: string): void {
    this.st.deleteGroup.run(uuid);
    this.generation++;
  }

  /**
   * The `fetched_at` a full listing writes its entries with: later than every row already
   * there (whatever the clock did), so sweepListing can tell what the listing did not contain.
   * Forgets the sync cursor: until the listing completes the cache is not a complete copy, and
   * a daemon restarted meanwhile must list again rather than follow changes from it.
   */
  beginListing(): number {
    const max = (this.st.maxFetched.get() as { m: number | null }).m ?? 0;
    this.st.deleteMeta.run('cursor');
    return Math.max(Date.now(), max + 1);
  }

  /**
   * Stores one chunk of a full listing (mark: beginListing's). An entry a single-entry fetch
   * stored after the listing started is newer than the listing's copy and is kept.
   */
  writeListed(accounts: readonly UnixAccount[], groups: readonly UnixGroup[], mark: number): void {
    this.db.transaction(() => {
      for (const a of accounts) if (!this.st.newerAccount.get(a.uuid, mark)) this.writeAccount(a, mark);
      for (const g of groups) if (!this.st.newerGroup.get(g.uuid, mark)) this.writeGroup(g, mark);
    })();
    this.generation++;
  }

  /**
   * Removes up to `limit` entries the listing marked `mark` did not contain (with their
   * password hashes; hashes of accounts still present are kept). Returns how many went: the
   * caller repeats until 0, yielding in between.
   */
  sweepListing(mark: number, limit = WRITE_CHUNK): number {
    let n = 0;
    this.db.transaction(() => {
      n = this.st.sweepAccounts.run(mark, limit).changes;
      n += this.st.sweepGroups.run(mark, limit).changes;
      if (n) this.st.orphanPasswords.run();
    })();
    if (n) this.generation++;
    return n;
  }

  /** The listing is complete and current as of `cursor`: follow the change log from there. */
  finishListing(cursor: string, now = Date.now()): void {
    this.db.transaction(() => {
      this.st.setMeta.run('cursor', cursor);
      this.st.setMeta.run('last_refresh', String(now));
    })();
  }

  /**
   * Applies (a chunk of) a change page: upserts and deletes, in one transaction. With `cursor`
   * (the page's last chunk) the cursor is stored in the same transaction, so the cache and the
   * cursor it is current for never disagree, even after a crash: a page cut short by one is
   * applied again from the old cursor (upserts and deletes are idempotent).
   *
   * An empty page that leaves the cursor where it was (a long poll that timed out) writes
   * nothing: every commit moves SQLite's data_version, which makes the NSS map writer rewrite
   * the whole file, and an idle host must cost nothing. It only says the cache is current now.
   */
  applyChanges(c: ChangeChunk, cursor: string | undefined, now = Date.now()): void {
    const empty = !(c.accounts.length || c.groups.length || c.deletedAccounts.length || c.deletedGroups.length);
    if (empty && cursor !== undefined && cursor === this.cursor()) {
      this.confirmedAt = now;
      return;
    }
    this.db.transaction(() => {
      for (const uuid of c.deletedAccounts) {
        this.st.deleteAccount.run(uuid);
        this.st.dropPassword.run(uuid);
      }
      for (const uuid of c.deletedGroups) this.st.deleteGroup.run(uuid);
      for (const a of c.accounts) this.writeAccount(a, now);
      for (const g of c.groups) this.writeGroup(g, now);
      if (c.accounts.length) this.st.orphanPasswords.run();
      if (cursor !== undefined) {
        this.st.setMeta.run('cursor', cursor);
        this.st.setMeta.run('last_refresh', String(now));
      }
    })();
    if (c.accounts.length || c.groups.length || c.deletedAccounts.length || c.deletedGroups.length) this.generation++;
  }

  /** The change-log cursor the cache is complete for, if any. */
  cursor(): string | undefined {
    return (this.st.getMeta.get('cursor') as { value: string } | undefined)?.value;
  }

  /** Every entry becomes stale: the next lookup answers from the cache and refreshes it. */
  markAllStale(): void {
    this.db.exec('UPDATE account SET fetched_at = 0; UPDATE grp SET fetched_at = 0;');
    this.generation++;
  }

  /** Forgets everything (the sync cursor too), offline password hashes included. */
  clear(): void {
    this.db.exec('DELETE FROM account; DELETE FROM grp; DELETE FROM password; DELETE FROM meta WHERE key <> \'schema\';');
    this.generation++;
    this.counted = undefined;
  }

  /**
   * How many users and groups are cached. count(*) walks an index (milliseconds at 100,000
   * users), and STATUS may be asked in a loop: recounted only after a write, at most once per
   * COUNT_EVERY_MS (a figure for people, a second late at worst).
   */
  counts(): { users: number; groups: number } {
    const now = Date.now();
    if (!this.counted || (this.counted.generation !== this.generation && now - this.counted.at >= COUNT_EVERY_MS)) {
      this.counted = { ...(this.st.counts.get() as { users: number; groups: number }), generation: this.generation, at: now };
    }
    return { users: this.counted.users, groups: this.counted.groups };
  }

  passwordHash(uuid: string): string | undefined {
    return (this.st.getPassword.get(uuid) as { hash: string } | undefined)?.hash;
  }

  /**
   * Stores the offline hash of a password the IdP accepted, with the IdP's
   * `password_changed_at` of that moment (undefined from an IdP that does not send it).
   * A change the sync applied meanwhile wins: a hash taken under an older password is not kept.
   */
  setPasswordHash(uuid: string, hash: string, changedAt?: string | null): void {
    this.db.transaction(() => {
      this.st.setPassword.run(uuid, hash, Date.now(), changedAt ?? null);
      const current = this.account('uuid', uuid)?.value.password_changed_at;
      if (current !== undefined) this.dropStalePassword(uuid, current);
    })();
  }

  dropPasswordHash(uuid: string): void {
    this.st.dropPassword.run(uuid);
  }

  /**
   * When the cache was last known complete and current (ms since the epoch), if ever: a listing
   * or change page stored, or an empty change page since (kept in memory only).
   */
  lastRefresh(): number | undefined {
    const v = (this.st.getMeta.get('last_refresh') as { value: string } | undefined)?.value;
    const stored = v === undefined ? undefined : Number(v);
    return stored !== undefined && this.confirmedAt !== undefined && this.confirmedAt > stored ? this.confirmedAt : stored;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private writeAccount(a: UnixAccount, fetchedAt: number): void {
    const row = { uuid: a.uuid, name: a.name, spn: a.spn, uid: a.uidnumber };
    this.st.evictAccount.run(row);
    const pgid = privateGroupOf(a)?.gidnumber ?? null;
    this.st.upsertAccount.run({ ...row, pgid, data: JSON.stringify(a), fetched_at: fetchedAt });
    if (a.password_changed_at !== undefined) this.dropStalePassword(a.uuid, a.password_changed_at);
  }

  /**
   * A password changed or reset at the IdP ends offline logins with the old one (issue 10 item
   * 1): the hash goes when it was taken under another `password_changed_at` (both the IdP's
   * clock, so this host's clock does not matter), or, for a hash stored before hashes recorded
   * it, when it was stored before the change plus PASSWORD_CLOCK_MARGIN_MS of clock skew.
   */
  private dropStalePassword(uuid: string, changedAt: string | null): void {
    const changedMs = changedAt === null ? null : Date.parse(changedAt);
    this.st.dropStalePassword.run({ uuid, changed: changedAt, before: changedMs === null ? null : changedMs + PASSWORD_CLOCK_MARGIN_MS });
  }

  private writeGroup(g: UnixGroup, fetchedAt: number): void {
    const row = { uuid: g.uuid, name: g.name, spn: g.spn, gid: g.gidnumber };
    this.st.evictGroup.run(row);
    this.st.upsertGroup.run({ ...row, data: JSON.stringify(g), fetched_at: fetchedAt });
  }
}

function prepare(db: Database.Database) {
  const q = (sql: string) => db.prepare(sql);
  return {
    account: {
      name: q('SELECT data, fetched_at FROM account WHERE name = ?'),
      spn: q('SELECT data, fetched_at FROM account WHERE spn = ?'),
      uid: q('SELECT data, fetched_at FROM account WHERE uid = ?'),
      uuid: q('SELECT data, fetched_at FROM account WHERE uuid = ?'),
    },
    group: {
      name: q('SELECT data, fetched_at FROM grp WHERE name = ?'),
      spn: q('SELECT data, fetched_at FROM grp WHERE spn = ?'),
      gid: q('SELECT data, fetched_at FROM grp WHERE gid = ?'),
      uuid: q('SELECT data, fetched_at FROM grp WHERE uuid = ?'),
    },
    passwdAfter: q(`SELECT uuid, name, spn, uid AS uidnumber, data ->> '$.gidnumber' AS gidnumber,
      data ->> '$.displayname' AS displayname, data ->> '$.shell' AS shell FROM account WHERE uid > ? ORDER BY uid LIMIT ?`),
    groupsAfter: q('SELECT data FROM grp WHERE (gid, name) > (?, ?) ORDER BY gid, name LIMIT ?'),
    groupsBetween: q('SELECT data FROM grp WHERE (gid, name) > (?, ?) AND (gid, name) <= (?, ?) ORDER BY gid, name LIMIT ?'),
    privateAfter: q(`SELECT uuid, name, spn, pgid AS gidnumber FROM account a WHERE pgid IS NOT NULL AND (pgid, name) > (?, ?)
      AND NOT EXISTS (SELECT 1 FROM grp g WHERE g.gid = a.pgid) ORDER BY pgid, name LIMIT ?`),
    maxFetched: q('SELECT max(m) AS m FROM (SELECT max(fetched_at) AS m FROM account UNION ALL SELECT max(fetched_at) FROM grp)'),
    sweepAccounts: q('DELETE FROM account WHERE uuid IN (SELECT uuid FROM account WHERE fetched_at < ? LIMIT ?)'),
    sweepGroups: q('DELETE FROM grp WHERE uuid IN (SELECT uuid FROM grp WHERE fetched_at < ? LIMIT ?)'),
    deleteMeta: q('DELETE FROM meta WHERE key = ?'),
    // A row with another uuid but the same name, spn or number is an older copy (renamed,
    // deleted and reused): the IdP's newer answer replaces it.
    evictAccount: q('DELETE FROM account WHERE uuid <> @uuid AND (name = @name OR spn = @spn OR uid = @uid)'),
    evictGroup: q('DELETE FROM grp WHERE uuid <> @uuid AND (name = @name OR spn = @spn OR gid = @gid)'),
    upsertAccount: q(`INSERT INTO account (uuid, name, spn, uid, pgid, data, fetched_at) VALUES (@uuid, @name, @spn, @uid, @pgid, @data, @fetched_at)
      ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, spn = excluded.spn, uid = excluded.uid, pgid = excluded.pgid,
        data = excluded.data, fetched_at = excluded.fetched_at`),
    upsertGroup: q(`INSERT INTO grp (uuid, name, spn, gid, data, fetched_at) VALUES (@uuid, @name, @spn, @gid, @data, @fetched_at)
      ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, spn = excluded.spn, gid = excluded.gid, data = excluded.data, fetched_at = excluded.fetched_at`),
    deleteAccount: q('DELETE FROM account WHERE uuid = ?'),
    newerAccount: q('SELECT 1 FROM account WHERE uuid = ? AND fetched_at > ?'),
    newerGroup: q('SELECT 1 FROM grp WHERE uuid = ? AND fetched_at > ?'),
    deleteGroup: q('DELETE FROM grp WHERE uuid = ?'),
    orphanPasswords: q('DELETE FROM password WHERE uuid NOT IN (SELECT uuid FROM account)'),
    counts: q('SELECT (SELECT count(*) FROM account) AS users, (SELECT count(*) FROM grp) AS groups'),
    getPassword: q('SELECT hash FROM password WHERE uuid = ?'),
    setPassword: q(`INSERT INTO password (uuid, hash, stored_at, changed_at) VALUES (?, ?, ?, ?) ON CONFLICT(uuid)
      DO UPDATE SET hash = excluded.hash, stored_at = excluded.stored_at, changed_at = excluded.changed_at`),
    dropPassword: q('DELETE FROM password WHERE uuid = ?'),
    dropStalePassword: q(`DELETE FROM password WHERE uuid = @uuid AND (
      (changed_at IS NOT NULL AND changed_at IS NOT @changed) OR (changed_at IS NULL AND stored_at <= @before))`),
    getMeta: q('SELECT value FROM meta WHERE key = ?'),
    setMeta: q('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };
}
type Statements = ReturnType<typeof prepare>;

function toCached<T>(row: Row | undefined): Cached<T> | undefined {
  return row ? { value: JSON.parse(row.data) as T, fetchedAt: row.fetched_at, bytes: row.data.length } : undefined;
}
