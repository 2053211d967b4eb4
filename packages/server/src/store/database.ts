/**
 * Opens the IdP's SQLite store: one file, owner-only, in WAL mode, with the schema migrated.
 *
 * Settings and why:
 *   journal_mode=WAL     readers (host lookups) never wait for the writer, and the writer never waits
 *                        for readers.
 *   synchronous=FULL     every commit fsyncs the WAL. With NORMAL (the WAL default) a power loss can
 *                        silently roll back the last commits: a changed password, a locked account,
 *                        a revoked token or a deleted SSH key would come back to life. An IdP writes
 *                        rarely and reads constantly, so one fsync per write costs little.
 *   foreign_keys=ON      memberships, keys, credentials, sessions and tokens go with their entry.
 *   busy_timeout=5000    a second process (`wardd backup`, `recover-account`) waits for the writer
 *                        instead of failing at once.
 *   mode 0600            the file holds password hashes; SQLite gives -wal and -shm the same mode.
 */
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { WardError } from '@ward/proto';
import { migrate } from './migrations.js';

export const BUSY_TIMEOUT_MS = 5000;
const FILE_MODE = 0o600;

/** Creates the file with mode 0600 if missing and tightens the mode of an existing one. */
function prepareFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new WardError('unavailable', `cannot create the database file ${path}: ${(err as Error).message}`);
    }
    const stat = statSync(path);
    if (!stat.isFile()) throw new WardError('unavailable', `the database path ${path} is not a regular file`);
    if ((stat.mode & 0o777) !== FILE_MODE) chmodSync(path, FILE_MODE);
  }
}

/** Applies the connection settings described in the header comment. */
export function configureConnection(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (String(mode).toLowerCase() !== 'wal') {
    throw new WardError('unavailable', `the database could not switch to WAL mode (got ${String(mode)})`);
  }
  db.pragma('synchronous = FULL');
}

export function openDatabase(path: string): Database.Database {
  if (path === ':memory:' || path === '') {
    throw new WardError('unavailable', 'the store needs a file path; an in-memory database would lose every change');
  }
  prepareFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new WardError('unavailable', `cannot open the database ${path}: ${(err as Error).message}`);
  }
  try {
    configureConnection(db);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof WardError) throw err;
    throw new WardError('unavailable', `cannot use the database ${path}: ${(err as Error).message}`);
  }
}
