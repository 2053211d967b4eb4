/**
 * The cache file's layout, its in-place upgrades and how it is opened (pragmas, integrity check,
 * permissions). The store (store.ts) holds the statements; the NSS map writer reads the same
 * tables from its own connection.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, statSync } from 'node:fs';
import type { Logger } from '../log.js';

const SCHEMA_VERSION = '3';

/**
 * Upgrades a cache in place, keyed by the version found; any other version is rebuilt empty.
 * In place matters: a rebuild would drop the offline password hashes, and a host upgraded while
 * the IdP is down would lose its users until it comes back.
 *
 * 1 -> 2: accounts gained `expire_at`. Old rows get null (what an IdP without it means) and are
 * marked stale, so the next lookup or refresh fetches the real value.
 * 2 -> 3: accounts gained `pgid` (indexed, for paging group enumeration); filled from the JSON
 * with privateGroupOf's rule. `fetched_at` is indexed (a listing's sweep must not scan the table).
 * There is no sync cursor yet, so the daemon lists everything once.
 */
const TO_3 = `ALTER TABLE account ADD COLUMN pgid INTEGER;
  UPDATE account SET pgid = json_extract(data, '$.gidnumber')
   WHERE json_extract(data, '$.gidnumber') = uid
      OR (json_extract(data, '$.groups[0].name') = name AND json_extract(data, '$.groups[0].gidnumber') = json_extract(data, '$.gidnumber'));
  CREATE INDEX account_pgid ON account (pgid, name);
  CREATE INDEX account_fetched ON account (fetched_at);
  CREATE INDEX grp_fetched ON grp (fetched_at);`;
const MIGRATIONS: Record<string, string> = {
  '1': `UPDATE account SET data = json_set(data, '$.expire_at', json('null')), fetched_at = 0
        WHERE json_type(data, '$.expire_at') IS NULL; ${TO_3}`,
  '2': TO_3,
};

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE account (
  uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spn TEXT NOT NULL UNIQUE, uid INTEGER NOT NULL UNIQUE,
  data TEXT NOT NULL, fetched_at INTEGER NOT NULL, pgid INTEGER);
CREATE INDEX account_pgid ON account (pgid, name);
CREATE INDEX account_fetched ON account (fetched_at);
CREATE TABLE grp (
  uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spn TEXT NOT NULL UNIQUE, gid INTEGER NOT NULL UNIQUE,
  data TEXT NOT NULL, fetched_at INTEGER NOT NULL);
CREATE INDEX grp_fetched ON grp (fetched_at);
CREATE TABLE password (uuid TEXT PRIMARY KEY, hash TEXT NOT NULL, stored_at INTEGER NOT NULL);
`;

export function openDb(file: string, log: Logger): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // A cache: losing the last writes on power loss costs one refresh, so NORMAL is enough.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 1000');
    // SQLite's page cache counts in the daemon's RSS: 2 MiB holds the indexes' upper levels and
    // the hot rows; the rest of the file is read through the kernel's page cache.
    db.pragma('cache_size = -2048');
    // Checkpoints run inside a commit, on the event loop: small ones (800 KiB of WAL, not the
    // default 4 MiB) keep a listing's writes at a few milliseconds each (measured: the worst
    // chunk of 250 accounts went from ~45 to ~18 ms).
    db.pragma('wal_autocheckpoint = 200');
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
