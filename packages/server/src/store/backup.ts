/**
 * Backup and restore of the store.
 *
 * backupDatabase  an online, consistent copy through SQLite's backup API while the server keeps
 *                 serving. It is written to a temporary file beside the destination, switched to a
 *                 self-contained rollback journal (no -wal to lose), verified, fsynced and renamed
 *                 into place, so a crash never leaves a half-written backup under the final name.
 * verifyBackup    proves a file is a sound Ward store: opens read-only, integrity_check is "ok",
 *                 the application id is Ward's and schema_migrations holds a version we know.
 * restoreDatabase puts a verified backup in place of the store of a STOPPED server. The old store
 *                 and its -wal/-shm are moved aside together (never deleted, never mixed with the
 *                 new file: a stale -wal applied to another database would corrupt it). The
 *                 restored copy gets a new unix change log id: hosts that followed the log past
 *                 the backup's moment must list everything again, not resume at a seq that the
 *                 restored history will reuse for other changes.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { WardError } from '@ward/proto';
import { APPLICATION_ID, SCHEMA_VERSION, appliedVersion } from './migrations.js';
import { rotateUnixLogId } from './unix-change-log.js';

export interface BackupInfo {
  file: string;
  schemaVersion: number;
}

export interface RestoreResult extends BackupInfo {
  /** Where the replaced store was moved (its -wal/-shm beside it), or null if there was none. */
  previous: string | null;
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function tempName(target: string, purpose: string): string {
  return join(dirname(target), `.${basename(target)}.${purpose}-${randomBytes(6).toString('hex')}`);
}

function removeWithSideFiles(path: string): void {
  for (const suffix of ['', ...SIDE_FILES]) rmSync(path + suffix, { force: true });
}

/** Online backup of an open store into `destFile` (replaced atomically if it exists). */
export async function backupDatabase(db: Database.Database, destFile: string): Promise<BackupInfo> {
  const dest = resolve(destFile);
  const live = resolve(db.name);
  if ([live, ...SIDE_FILES.map((s) => live + s)].includes(dest)) {
    throw new WardError('bad_request', `the backup file must not be the database itself (${dest})`);
  }
  if (!existsSync(dirname(dest))) {
    throw new WardError('bad_request', `the directory of the backup file does not exist: ${dirname(dest)}`);
  }
  const temp = tempName(dest, 'backup');
  try {
    closeSync(openSync(temp, 'wx', 0o600));
    await db.backup(temp);
    const copy = new Database(temp, { fileMustExist: true });
    try {
      // A backup is one self-contained file: no -wal beside it that a copy could leave behind.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const info = verifyBackup(temp);
    chmodSync(temp, 0o600);
    fsyncPath(temp);
    renameSync(temp, dest);
    fsyncPath(dirname(dest));
    return { ...info, file: dest };
  } catch (err) {
    removeWithSideFiles(temp);
    if (err instanceof WardError) throw err;
    throw new WardError('internal', `the backup to ${dest} failed: ${(err as Error).message}`);
  }
}

function notABackup(file: string, why: string): WardError {
  return new WardError('bad_request', `${file} is not a valid Ward backup: ${why}`);
}

/** Throws a WardError saying why `file` is not a usable backup; returns its schema version otherwise. */
export function verifyBackup(file: string): BackupInfo {
  const path = resolve(file);
  if (!existsSync(path)) throw notABackup(path, 'the file does not exist');
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw notABackup(path, (err as Error).message);
  }
  try {
    let check: unknown[];
    try {
      check = db.pragma('integrity_check', { simple: false }) as unknown[];
    } catch (err) {
      throw notABackup(path, (err as Error).message);
    }
    const first = check[0] as { integrity_check?: string } | undefined;
    if (check.length !== 1 || first?.integrity_check !== 'ok') {
      throw notABackup(path, `the integrity check failed (${check.length} problems, first: ${first?.integrity_check})`);
    }
    if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) {
      throw notABackup(path, 'it is an SQLite database, but not a Ward store');
    }
    const version = appliedVersion(db);
    if (version === undefined || version < 1) throw notABackup(path, 'it has no schema version');
    if (version > SCHEMA_VERSION) {
      throw notABackup(path, `its schema version ${version} is newer than this Ward understands (${SCHEMA_VERSION})`);
    }
    return { file: path, schemaVersion: version };
  } finally {
    db.close();
  }
}

/**
 * Refuses when another process has the store open: an exclusive lock in exclusive locking mode
 * cannot be taken while any other connection (a running wardd, even idle) holds the WAL index.
 */
function assertNotInUse(dbPath: string): void {
  let db: Database.Database;
  try {
    db = new Database(dbPath, { fileMustExist: true, timeout: 0 });
  } catch {
    return; // unreadable as a database: nothing can be using it as one
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new WardError('conflict', `the database ${dbPath} is in use; stop wardd before restoring`);
    }
  } finally {
    db.close();
  }
}

/** Replaces the store at `dbPath` with the backup `file`. Meant for a stopped server. */
export function restoreDatabase(file: string, dbPath: string): RestoreResult {
  const info = verifyBackup(file);
  const target = resolve(dbPath);
  if (info.file === target) throw new WardError('bad_request', 'the backup file is the database itself');
  if (!existsSync(dirname(target))) {
    throw new WardError('bad_request', `the directory of the database does not exist: ${dirname(target)}`);
  }
  // Opening and closing it also checkpoints its WAL back into the main file when nothing else has it open.
  if (existsSync(target)) assertNotInUse(target);

  const temp = tempName(target, 'restore');
  let previous: string | null = null;
  try {
    copyFileSync(info.file, temp);
    chmodSync(temp, 0o600);
    const copy = new Database(temp, { fileMustExist: true });
    try {
      rotateUnixLogId(copy);
    } finally {
      copy.close();
    }
    fsyncPath(temp);
    verifyBackup(temp);
    const present = ['', ...SIDE_FILES].filter((suffix) => existsSync(target + suffix));
    if (present.length > 0) {
      previous = `${target}.pre-restore-${new Date().toISOString().replace(/[:.]/g, '')}`;
      // The WAL and shared-memory files first: should we stop half-way, the old main file stays
      // where it was and no stale -wal can ever sit beside the restored one.
      for (const suffix of [...SIDE_FILES, '']) {
        if (present.includes(suffix)) renameSync(target + suffix, previous + suffix);
      }
    }
    renameSync(temp, target);
    fsyncPath(dirname(target));
    return { ...info, previous };
  } catch (err) {
    removeWithSideFiles(temp);
    if (err instanceof WardError) throw err;
    throw new WardError('internal', `the restore of ${dbPath} failed: ${(err as Error).message}`);
  }
}
