/**
 * The on-disk cache: one SQLite file (WAL) holding the last copy of every account and group the
 * IdP gave us, when each was fetched, and the offline password hashes. It survives restarts, so
 * a host booting while the IdP is down still resolves its users.
 *
 * The daemon is the only writer and better-sqlite3 is synchronous: every method is a few
 * microseconds except replaceAll (one transaction per bulk refresh). A file that is not a
 * readable database is moved aside and replaced: it is a cache, the IdP holds the truth.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { UnixAccount, UnixGroup } from '@ward/proto';
import type { Logger } from '../log.js';

const SCHEMA_VERSION = '2';

/**
 * Upgrades a cache in place, keyed by the version found; any other version is rebuilt empty.
 * In place matters: a rebuild would drop the offline password hashes, and a host upgraded while
 * the IdP is down would lose its users until it comes back.
 *
 * 1 -> 2: accounts gained `expire_at`. Old rows get null (what an IdP without it means) and are
 * marked stale, so the next lookup or refresh fetches the real value.
 */
const MIGRATIONS: Record<string, string> = {
  '1': `UPDATE account SET data = json_set(data, '$.expire_at', json('null')), fetched_at = 0
        WHERE json_type(data, '$.expire_at') IS NULL;`,
};

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE account (
  uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spn TEXT NOT NULL UNIQUE, uid INTEGER NOT NULL UNIQUE,
  data TEXT NOT NULL, fetched_at INTEGER NOT NULL);
CREATE TABLE grp (
  uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spn TEXT NOT NULL UNIQUE, gid INTEGER NOT NULL UNIQUE,
  data TEXT NOT NULL, fetched_at INTEGER NOT NULL);
CREATE TABLE password (uuid TEXT PRIMARY KEY, hash TEXT NOT NULL, stored_at INTEGER NOT NULL);
`;

export interface Cached<T> {
  value: T;
  /** ms since the epoch; 0 after an invalidate. */
  fetchedAt: number;
}

export type AccountKey = 'name' | 'spn' | 'uid' | 'uuid';
export type GroupKey = 'name' | 'spn' | 'gid' | 'uuid';
type Row = { data: string; fetched_at: number };

export class CacheStore {
  /** Bumped on every write, so derived views (enumeration pages, the memory layer) know to rebuild. */
  generation = 0;
  private readonly st: Statements;

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

  allAccounts(): Cached<UnixAccount>[] {
    return (this.st.allAccounts.all() as Row[]).map((r) => toCached<UnixAccount>(r)!);
  }

  allGroups(): Cached<UnixGroup>[] {
    return (this.st.allGroups.all() as Row[]).map((r) => toCached<UnixGroup>(r)!);
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
   * Makes the cache the IdP's complete listing, requested at `startedAt`: entries absent from it
   * are gone (with their password hashes), except single entries fetched after the listing was
   * requested, which are newer than it. Password hashes of accounts still present are kept.
   */
  replaceAll(accounts: UnixAccount[], groups: UnixGroup[], startedAt: number): void {
    this.db.transaction(() => {
      this.st.deleteOlderAccounts.run(startedAt);
      this.st.deleteOlderGroups.run(startedAt);
      for (const a of accounts) if (!this.st.newerAccount.get(a.uuid, startedAt)) this.writeAccount(a, startedAt);
      for (const g of groups) if (!this.st.newerGroup.get(g.uuid, startedAt)) this.writeGroup(g, startedAt);
      this.st.orphanPasswords.run();
      this.st.setMeta.run('last_refresh', String(startedAt));
    })();
    this.generation++;
  }

  /** Every entry becomes stale: the next lookup answers from the cache and refreshes it. */
  markAllStale(): void {
    this.db.exec('UPDATE account SET fetched_at = 0; UPDATE grp SET fetched_at = 0;');
    this.generation++;
  }

  /** Forgets everything, offline password hashes included. */
  clear(): void {
    this.db.exec('DELETE FROM account; DELETE FROM grp; DELETE FROM password; DELETE FROM meta WHERE key <> \'schema\';');
    this.generation++;
  }

  counts(): { users: number; groups: number } {
    return this.st.counts.get() as { users: number; groups: number };
  }

  passwordHash(uuid: string): string | undefined {
    return (this.st.getPassword.get(uuid) as { hash: string } | undefined)?.hash;
  }

  setPasswordHash(uuid: string, hash: string): void {
    this.st.setPassword.run(uuid, hash, Date.now());
  }

  dropPasswordHash(uuid: string): void {
    this.st.dropPassword.run(uuid);
  }

  /** When the last complete listing was stored (ms since the epoch), if ever. */
  lastRefresh(): number | undefined {
    const v = (this.st.getMeta.get('last_refresh') as { value: string } | undefined)?.value;
    return v === undefined ? undefined : Number(v);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private writeAccount(a: UnixAccount, fetchedAt: number): void {
    const row = { uuid: a.uuid, name: a.name, spn: a.spn, uid: a.uidnumber };
    this.st.evictAccount.run(row);
    this.st.upsertAccount.run({ ...row, data: JSON.stringify(a), fetched_at: fetchedAt });
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
    allAccounts: q('SELECT data, fetched_at FROM account ORDER BY uid, name'),
    allGroups: q('SELECT data, fetched_at FROM grp ORDER BY gid, name'),
    // A row with another uuid but the same name, spn or number is an older copy (renamed,
    // deleted and reused): the IdP's newer answer replaces it.
    evictAccount: q('DELETE FROM account WHERE uuid <> @uuid AND (name = @name OR spn = @spn OR uid = @uid)'),
    evictGroup: q('DELETE FROM grp WHERE uuid <> @uuid AND (name = @name OR spn = @spn OR gid = @gid)'),
    upsertAccount: q(`INSERT INTO account (uuid, name, spn, uid, data, fetched_at) VALUES (@uuid, @name, @spn, @uid, @data, @fetched_at)
      ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, spn = excluded.spn, uid = excluded.uid, data = excluded.data, fetched_at = excluded.fetched_at`),
    upsertGroup: q(`INSERT INTO grp (uuid, name, spn, gid, data, fetched_at) VALUES (@uuid, @name, @spn, @gid, @data, @fetched_at)
      ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, spn = excluded.spn, gid = excluded.gid, data = excluded.data, fetched_at = excluded.fetched_at`),
    deleteAccount: q('DELETE FROM account WHERE uuid = ?'),
    deleteOlderAccounts: q('DELETE FROM account WHERE fetched_at < ?'),
    deleteOlderGroups: q('DELETE FROM grp WHERE fetched_at < ?'),
    newerAccount: q('SELECT 1 FROM account WHERE uuid = ? AND fetched_at > ?'),
    newerGroup: q('SELECT 1 FROM grp WHERE uuid = ? AND fetched_at > ?'),
    deleteGroup: q('DELETE FROM grp WHERE uuid = ?'),
    orphanPasswords: q('DELETE FROM password WHERE uuid NOT IN (SELECT uuid FROM account)'),
    counts: q('SELECT (SELECT count(*) FROM account) AS users, (SELECT count(*) FROM grp) AS groups'),
    getPassword: q('SELECT hash FROM password WHERE uuid = ?'),
    setPassword: q('INSERT INTO password (uuid, hash, stored_at) VALUES (?, ?, ?) ON CONFLICT(uuid) DO UPDATE SET hash = excluded.hash, stored_at = excluded.stored_at'),
    dropPassword: q('DELETE FROM password WHERE uuid = ?'),
    getMeta: q('SELECT value FROM meta WHERE key = ?'),
    setMeta: q('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };
}
type Statements = ReturnType<typeof prepare>;

function toCached<T>(row: Row | undefined): Cached<T> | undefined {
  return row ? { value: JSON.parse(row.data) as T, fetchedAt: row.fetched_at } : undefined;
}

function openDb(file: string, log: Logger): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // A cache: losing the last writes on power loss costs one refresh, so NORMAL is enough.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 1000');
    const ok = db.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw Object.assign(new Error(`quick_check: ${String(ok)}`), { code: 'SQLITE_CORRUPT' });
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    const version = hasMeta
      ? (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value
      : undefined;
    const migration = version === undefined ? undefined : MIGRATIONS[version];
    if (migration !== undefined) {
      log.info(`cache ${file} has schema ${version}; upgrading it in place to schema ${SCHEMA_VERSION}`);
      db.transaction(() => {
        db.exec(migration);
        db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(SCHEMA_VERSION);
      })();
    } else if (version !== SCHEMA_VERSION) {
      if (hasMeta) log.info(`cache ${file} has schema ${version ?? 'unknown'}; rebuilding it as schema ${SCHEMA_VERSION}`);
      db.transaction(() => {
        db.exec('DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS account; DROP TABLE IF EXISTS grp; DROP TABLE IF EXISTS password;');
        db.exec(SCHEMA);
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
      })();
    }
  } catch (e) {
    db.close();
    throw e;
  }
  // The file holds password hashes: only the daemon's user may read it, whatever the umask was.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
  }
  return db;
}
