/**
 * The database lock: a file `<db_path>.lock` beside the real database file (symlinks resolved, so
 * two paths to one database meet at one lock) naming the process that owns the database
 * exclusively. The server holds it while it runs, so a second server on the same file and a
 * `wardd restore` under a running server are refused. Online tools (recover-account, backup) do
 * not take it: SQLite's WAL mode makes them safe next to the server.
 *
 * The file holds the pid, then the process's start time (field 22 of /proc/PID/stat, clock ticks
 * since boot). A lock is stale, and taken over, when its process is gone or when the pid now
 * names another process: after a crash and a reboot the pid is soon reused (pid 1 always is), and
 * a pid with another start time is not the process that wrote the lock. A lock written without a
 * start time (by an older Ward) counts only while its pid runs a wardd (/proc/PID/cmdline). Where
 * /proc is missing, a live pid holds the lock. A stopped (SIGSTOP) server still exists, so it
 * still holds its lock.
 */
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

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

/** The real path of the database file (its folder's, when the file does not exist yet). */
function realDbPath(dbPath: string): string {
  try {
    return realpathSync(dbPath);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(dbPath)), path.basename(dbPath));
    } catch {
      return path.resolve(dbPath);
    }
  }
}

export function lockPath(dbPath: string): string {
  return `${realDbPath(dbPath)}.lock`;
}

/** The start time of a process (clock ticks after boot), or undefined without /proc. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function runsWardd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => /wardd(\.js)?$/.test(arg));
  } catch {
    return true; // no /proc: the pid's existence is all there is to go by
  }
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
  const [pidText, started] = text.split('\n');
  const pid = Number.parseInt(pidText?.trim() ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processExists(pid)) return undefined;
  const now = startTime(pid);
  if (started?.trim()) {
    if (now !== undefined && now !== started.trim()) return undefined; // the pid was reused
  } else if (!runsWardd(pid)) {
    return undefined;
  }
  return pid;
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
      // Stale: its process is gone or is another program now. Remove it and try once more.
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n${startTime(process.pid) ?? ''}\n`);
    closeSync(fd);
    let released = false;
    return {
      path: file,
      release() {
        if (released) return;
        released = true;
        try {
          // Only remove it while it is still ours.
          if (readFileSync(file, 'utf8').split('\n')[0] === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      },
    };
  }
  throw new Error(`cannot take the lock ${file}`);
}
