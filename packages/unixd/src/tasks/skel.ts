/**
 * Copies the skeleton directory (/etc/skel) into a new home directory, giving every copy to the
 * user. The destination is a directory this daemon has just created, owned by root and mode
 * 0700, so nobody else can reach into it while the copy runs; the source is walked with lstat
 * and never followed:
 *
 *  - directories are recreated, files copied through descriptors opened with O_NOFOLLOW (a file
 *    that turned into a symlink is refused, not followed), symlinks recreated as symlinks with
 *    the same target text (a link that points out of skel is copied as a link, never read),
 *    anything else (FIFOs, devices, sockets) is skipped;
 *  - permission bits are preserved, set-id and sticky bits dropped; file modification times are
 *    kept;
 *  - the walk is bounded in depth, entry count and bytes, so a runaway skeleton cannot fill the
 *    disk or hold the daemon.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATUS } from '@ward/proto';
import { TaskRefusal } from './refusal.js';
import { secureDirectory, untrustedDirProblem } from './safe-path.js';

export const SKEL_LIMITS = { maxDepth: 32, maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 };
const PERMISSION_BITS = 0o777;
const COPY_CHUNK = 64 * 1024;

export interface SkelCopy {
  entries: number;
  bytes: number;
  /** Skeleton entries that are neither file, directory nor symlink (relative paths). */
  skipped: string[];
}

interface Owner {
  uid: number;
  gid: number;
}

function tooBig(what: string): TaskRefusal {
  return new TaskRefusal(STATUS.ERROR, `the skeleton directory is too large (${what}); nothing was created`);
}

function copyFile(src: string, dst: string, owner: Owner, out: SkelCopy): void {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
  const fin = fs.openSync(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const st = fs.fstatSync(fin);
    if (!st.isFile()) throw new TaskRefusal(STATUS.ERROR, `${src} changed while it was copied`);
    if (out.bytes + st.size > SKEL_LIMITS.maxBytes) throw tooBig(`over ${SKEL_LIMITS.maxBytes} bytes`);
    const fout = fs.openSync(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      let copied = 0;
      for (;;) {
        const n = fs.readSync(fin, buf, 0, buf.length, null);
        if (n === 0) break;
        copied += n;
        // The file may grow under us; the budget counts what is really written.
        if (out.bytes + copied > SKEL_LIMITS.maxBytes) throw tooBig(`over ${SKEL_LIMITS.maxBytes} bytes`);
        let at = 0;
        while (at < n) at += fs.writeSync(fout, buf, at, n - at);
      }
      out.bytes += copied;
      fs.fchownSync(fout, owner.uid, owner.gid);
      // After the chown, which clears set-id bits: the permission bits are set as they were in skel.
      fs.fchmodSync(fout, st.mode & PERMISSION_BITS);
      fs.futimesSync(fout, st.atime, st.mtime);
    } finally {
      fs.closeSync(fout);
    }
  } finally {
    fs.closeSync(fin);
  }
}

function walk(srcDir: string, dstDir: string, rel: string, depth: number, owner: Owner, out: SkelCopy): void {
  if (depth > SKEL_LIMITS.maxDepth) throw tooBig(`deeper than ${SKEL_LIMITS.maxDepth} levels`);
  for (const name of fs.readdirSync(srcDir).sort()) {
    if (++out.entries > SKEL_LIMITS.maxEntries) throw tooBig(`over ${SKEL_LIMITS.maxEntries} entries`);
    const src = path.join(srcDir, name);
    const dst = path.join(dstDir, name);
    const relName = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(src);
    if (st.isDirectory()) {
      // A directory someone else could change could be swapped for a symlink mid-copy.
      const problem = untrustedDirProblem(st, false);
      if (problem) throw new TaskRefusal(STATUS.ERROR, `the skeleton entry ${src} ${problem}`);
      fs.mkdirSync(dst, 0o700);
      walk(src, dst, relName, depth + 1, owner, out);
      fs.lchownSync(dst, owner.uid, owner.gid);
      // Last, so a read-only directory in skel does not stop its own contents being copied.
      fs.chmodSync(dst, st.mode & PERMISSION_BITS);
    } else if (st.isFile()) {
      copyFile(src, dst, owner, out);
    } else if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src), dst);
      fs.lchownSync(dst, owner.uid, owner.gid);
    } else {
      out.skipped.push(relName);
    }
  }
}

/**
 * Copies `skelDir` into `dst` (an existing, empty, root-only directory) for `owner`. A missing
 * skeleton directory gives an empty home, as useradd does.
 */
export function copySkel(skelDir: string, dst: string, owner: Owner): SkelCopy {
  const out: SkelCopy = { entries: 0, bytes: 0, skipped: [] };
  if (!fs.existsSync(skelDir)) return out;
  // The skeleton itself may be a symlink an administrator made; it is resolved once and checked
  // from `/` down, and nothing inside it is followed.
  let real: string;
  try {
    real = secureDirectory(skelDir, 'the skeleton directory');
  } catch (e) {
    throw new TaskRefusal(STATUS.ERROR, (e as Error).message);
  }
  walk(real, dst, '', 0, owner, out);
  return out;
}
