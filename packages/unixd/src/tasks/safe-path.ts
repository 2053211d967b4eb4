/**
 * The filesystem checks that keep a root process from being steered by symlinks. The rule (the
 * one sshd applies to AuthorizedKeysCommand with StrictModes): every directory from `/` down to
 * home_prefix is owned by root and writable by nobody else, so no unprivileged user can swap a
 * component for a symlink between a check and a use. A sticky world-writable ancestor such as
 * /tmp is accepted, because in it only root may rename or remove an entry root owns;
 * home_prefix itself must not be writable by group or others at all, since its entries are the
 * very paths this daemon creates.
 *
 * The skeleton directory is held to the same rule, all the way down, since root reads it.
 * Inside home_prefix every entry is examined with lstat, never followed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { denied } from './refusal.js';

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Why a directory may not be trusted by root: not root's, or writable by others. */
export function untrustedDirProblem(st: fs.Stats, stickyOk: boolean): string | undefined {
  if (!st.isDirectory()) return 'is not a directory';
  if (st.uid !== 0) return `is owned by uid ${st.uid}, not root`;
  const writable = (st.mode & GROUP_OTHER_WRITE) !== 0;
  if (writable && !(stickyOk && (st.mode & STICKY) !== 0)) {
    return `(mode ${octal(st.mode)}) is writable by group or others`;
  }
  return undefined;
}

/**
 * Resolves a directory root relies on (home_prefix, the skeleton) to its real path and checks
 * every component of it. Returns the real path, which is what the caller must use from then on
 * (a symlink in the configured path cannot be changed under a request that already resolved
 * it). `what` names the directory in the refusal.
 */
export function secureDirectory(dir: string, what: string): string {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch (e) {
    throw denied(`${what} ${dir} cannot be used: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const parts = real.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    const problem = untrustedDirProblem(fs.lstatSync(p), i < parts.length);
    if (problem) throw denied(`${what} ${dir}: ${p} ${problem}`);
  }
  return real;
}

/** The socket's directory must be a real directory that only its owner may change. */
export function checkSocketDir(socketPath: string): fs.Stats {
  const dir = path.dirname(socketPath);
  const st = lstatOrNull(dir);
  if (!st) throw new Error(`the directory of the tasks socket, ${dir}, does not exist`);
  if (!st.isDirectory()) throw new Error(`${dir} (directory of the tasks socket) is not a directory`);
  if ((st.mode & GROUP_OTHER_WRITE) !== 0) {
    throw new Error(`${dir} (directory of the tasks socket, mode ${octal(st.mode)}) is writable by group or others`);
  }
  return st;
}
