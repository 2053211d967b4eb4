/**
 * Runs a command the way a host with Ward installed would run it, without changing this machine:
 * in a private mount namespace (`unshare --mount`) where /etc/nsswitch.conf says
 * `passwd: files ward` / `group: files ward` and the built libnss_ward.so.2 is overlaid into the
 * system library folder. The same recipe as test/native/helpers.ts runWithModule (see
 * ../shared/reference/host-testbed.md); restated here because the benchmarks run on plain node,
 * which cannot import that TypeScript helper. Needs root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.mjs';

export const BUILD_LIB = path.join(ROOT, 'build/lib');
export const NSS_MODULE = path.join(BUILD_LIB, 'libnss_ward.so.2');
export const KEYCMD = path.join(ROOT, 'build/bin/kanidm-ssh-authorizedkeys');

// $1 nsswitch.conf, $2 the folder holding libnss_ward.so.2, $3 the system library folder.
const SCRIPT = 'mount -t overlay overlay -o "lowerdir=$2:$3" "$3" && mount --bind "$1" /etc/nsswitch.conf && shift 3 && exec "$@"';

/** Why the host benchmark cannot run here, or undefined when it can. */
export function hostUnavailable() {
  if (process.getuid?.() !== 0) return 'needs root (unshare --mount, overlay and bind mounts)';
  for (const built of [NSS_MODULE, KEYCMD]) if (!existsSync(built)) return `${built} is missing (npm run build)`;
  try {
    execFileSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'pipe' });
  } catch (e) {
    return `unshare --mount failed: ${e.message}`;
  }
  return undefined;
}

/** A namespace recipe whose files live in `dir`; its commands ask the daemon at `socket`. */
export function makeNamespace(socket, dir) {
  const nsswitch = path.join(dir, 'nsswitch.conf');
  writeFileSync(nsswitch, 'passwd: files ward\ngroup: files ward\nshadow: files\nhosts: files\n');
  const triplet = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const sysLib = `/usr/lib/${triplet}`;
  const env = { PATH: process.env.PATH, LANG: 'C', WARD_UNIXD_SOCKET: socket };
  return {
    /** Runs argv inside the namespace; resolves { code, stdout, stderr }. */
    run(argv, limitMs = 300_000) {
      return new Promise((resolve, reject) => {
        const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, 'sh', nsswitch, BUILD_LIB, sysLib, ...argv], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out = [];
        const err = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
        child.stdout.on('data', (c) => out.push(c));
        child.stderr.on('data', (c) => err.push(c));
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
        });
      });
    },
  };
}
