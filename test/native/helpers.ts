/**
 * Shared by the native tests: where the built artifacts are, compiling the small C test
 * programs, running a command with a time bound, and running one inside a private mount
 * namespace where nsswitch.conf says `files ward` and libnss_ward.so.2 sits in the system
 * library folder (an overlay; the machine's own /etc and /usr are never changed). See
 * ../shared/reference/host-testbed.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PROTO_C = join(ROOT, 'packages/proto/c');
/** The build under test: build/ by default; WARD_TEST_BUILD points at another (a sanitizer build). */
const BUILD = process.env.WARD_TEST_BUILD ?? join(ROOT, 'build');
export const BUILD_LIB = join(BUILD, 'lib');
export const NSS_MODULE = join(BUILD_LIB, 'libnss_ward.so.2');
export const KEYCMD = join(BUILD, 'bin/kanidm-ssh-authorizedkeys');
export const KEYCMD_ALIAS = join(BUILD, 'bin/ward-ssh-authorizedkeys');
const TEST_C = join(ROOT, 'test/native/c');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes, for programs that write binary frames. */
  stdoutBytes: Buffer;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
}

/** Runs a program without a shell; kills it after limitMs (a safety net, not an assertion). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; limitMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? { PATH: process.env.PATH }, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.limitMs ?? 20_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stdoutBytes: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Compiles test/native/c/<name>.c (plus extra sources) with the project's strict flags.
 * WARD_TEST_SANITIZE=1 adds AddressSanitizer and UBSan (for a deeper local run).
 */
export function compileTestProgram(outDir: string, name: string, extra: string[] = [], libs: string[] = []): string {
  const out = join(outDir, name);
  const sanitize = process.env.WARD_TEST_SANITIZE === '1' ? ['-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'] : [];
  execFileSync('gcc', [
    '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-D_GNU_SOURCE', ...sanitize, '-I', PROTO_C,
    '-o', out, join(TEST_C, `${name}.c`), ...extra, ...libs,
  ], { stdio: 'pipe' });
  return out;
}

/** The shared client's sources, for test programs that link it. */
export const CLIENT_SOURCES = ['ward_wire.c', 'ward_name.c', 'ward_client.c'].map((f) => join(PROTO_C, f));

function multiarchLibDir(): string {
  const triplet = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  return `/usr/lib/${triplet}`;
}

/** Why the namespace tests cannot run here, or undefined when they can. */
export function namespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (unshare --mount, overlay and bind mounts)';
  try {
    execFileSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `unshare --mount failed: ${(e as Error).message}`;
  }
}

/** Writes an nsswitch.conf that asks files first, then ward, for passwd and group. */
export function writeNsswitch(dir: string): string {
  const path = join(dir, 'nsswitch.conf');
  writeFileSync(path, 'passwd: files ward\ngroup: files ward\nshadow: files\nhosts: files\n');
  return path;
}

// $1 nsswitch.conf, $2 the folder holding libnss_ward.so.2, $3 the system library folder.
const NAMESPACE_SCRIPT =
  'mount -t overlay overlay -o "lowerdir=$2:$3" "$3" && mount --bind "$1" /etc/nsswitch.conf && shift 3 && exec "$@"';

/** Runs cmd in a private mount namespace that resolves through the built NSS module. */
export function runWithModule(
  nsswitch: string,
  cmd: string[],
  env: NodeJS.ProcessEnv,
  limitMs?: number,
): Promise<RunResult> {
  const args = ['--mount', '--propagation', 'private', 'sh', '-c', NAMESPACE_SCRIPT, 'sh', nsswitch, BUILD_LIB,
    multiarchLibDir(), ...cmd];
  return run('unshare', args, { env: { PATH: process.env.PATH, LANG: 'C', ...sanitizerEnv(), ...env }, limitMs });
}

/** A module built with -fsanitize=address needs the runtime loaded before it (getent, id, pamtester). */
export function sanitizerEnv(): NodeJS.ProcessEnv {
  return process.env.WARD_TEST_SANITIZE === '1'
    ? { LD_PRELOAD: execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim() }
    : {};
}
