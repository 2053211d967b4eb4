/**
 * The database lock: a file `<db_path>.lock` holding the pid of the process that owns the
 * database exclusively. The server holds it while it runs, so a second server on the same file
 * and a `wardd restore` under a running server are refused. Online tools (recover-account,
 * backup) do not take it: SQLite's WAL mode makes them safe next to the server.
 *
 * A lock whose pid no longer exists is stale (the server was killed) and is taken over. A
 * stopped (SIGSTOP) server still exists, so it still holds its lock.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export class DbLockedError extends Error {
  readonly pid: number;
  constructor(dbPath: string, pid: number) {
    super(`the database ${dbPath} is in use by wardd process ${pid}; stop it first`);
    this.name = 'DbLockedError';
    this.pid = pid;
  }
}

export interface DbLock {
  readonly path: string;
  release(): void;
}

export function lockPath(dbPath: string): string {
  return `${dbPath}.lock`;
}

/** The pid holding the lock, or undefined when the database is free (no lock or a stale one). */
export function lockHolder(dbPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath(dbPath), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processExists(pid) ? pid : undefined;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock or throw DbLockedError. Creation is atomic (O_EXCL), so two starters cannot both win. */
export function acquireDbLock(dbPath: string): DbLock {
  const file = lockPath(dbPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder(dbPath);
      if (holder !== undefined) throw new DbLockedError(dbPath, holder);
      // Stale: its process is gone. Remove it and try once more.
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    return {
      path: file,
      release() {
        if (released) return;
        released = true;
        try {
          // Only remove it while it is still ours.
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      },
    };
  }
  throw new Error(`cannot take the lock ${file}`);
}
