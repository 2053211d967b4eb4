/**
 * A private view of this machine for the end-to-end suites: one mount namespace per suite in
 * which the system resolves users through the built NSS module (and, when asked, logs in through
 * the built PAM module), while the machine's own /etc, /usr and /run are never changed.
 *
 * How: a holder process (`unshare --mount --propagation private sleep infinity`) owns the
 * namespace; every mount and every command of the suite enters it with
 * `nsenter --mount=/proc/<holder>/ns/mnt`. Inside it:
 *   - the system library folder is an overlay with build/lib on top (libnss_ward.so.2,
 *     security/pam_ward.so), so glibc and libpam load the built modules by their plain names;
 *   - /etc/nsswitch.conf (and /etc/pam.d when a suite gives PAM services) are bind-mounted copies;
 *   - optionally /dev/log is a socket of the test process, so PAM modules' syslog lines are seen;
 *   - /run and /home are fresh tmpfs mounts, so the daemon's sockets live at the compiled-in
 *     default /run/ward-unixd/ (sshd runs the key command with an empty environment: it can only
 *     find the default socket) and created home directories vanish with the namespace.
 * Long-lived programs (ward-unixd, sshd) get PR_SET_PDEATHSIG through `setpriv --pdeathsig`, so a
 * test process that dies without cleaning up takes them (and the holder) with it.
 * See ../shared/reference/host-testbed.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach } from 'vitest';
import { BUILD_LIB, ROOT, run, type RunResult } from '../native/helpers.js';
import { SyslogSink } from '../native/pam-harness.js';

export { ROOT, type RunResult };
export const NOBODY = 65534;
export const NOGROUP = 65534;

/** The folder holding libnss_files.so.2 and security/pam_unix.so on this machine. */
export const SYSTEM_LIBDIR = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64'].find((d) =>
  existsSync(path.join(d, 'libnss_files.so.2')));

/** Programs the suites drive; each must exist, or the suite fails (it never skips). */
const PROGRAMS = ['unshare', 'nsenter', 'setpriv', 'mount', 'getent', 'id', '/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'node'];

/** Throws a clear error when this machine cannot run the end-to-end suites. */
export function requireHost(extra: { programs?: string[]; files?: string[] } = {}): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the end-to-end suites need root (mount namespaces, sshd); run `sudo npm test`');
  if (!SYSTEM_LIBDIR) problems.push('no system library folder with libnss_files.so.2 found');
  for (const p of [...PROGRAMS, ...(extra.programs ?? [])]) {
    const found = p.startsWith('/') ? existsSync(p) : spawnSync('sh', ['-c', `command -v ${p}`], { stdio: 'ignore' }).status === 0;
    if (!found) problems.push(`${p} is missing (see test/preflight.mjs for the Debian packages)`);
  }
  for (const f of [path.join(BUILD_LIB, 'libnss_ward.so.2'), ...(extra.files ?? [])]) {
    if (!existsSync(f)) problems.push(`${f} is missing: run \`npm run build\``);
  }
  if (problems.length) throw new Error(`cannot run the end-to-end suite:\n- ${problems.join('\n- ')}`);
}

/**
 * The suite's beforeAll, except that a failed setup (not root, a program missing, a daemon that
 * does not start) fails every test of the file with its reason, instead of vitest's "skipped".
 */
export function setUpSuite(fn: () => Promise<void>, timeoutMs: number): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await fn();
    } catch (e) {
      failure = e;
    }
  }, timeoutMs);
  beforeEach(() => {
    if (failure) throw failure;
  });
}

export type RunAs = 'root' | 'nobody';

export interface RunOptions {
  as?: RunAs;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Safety net: the command is killed after this long (not an assertion). */
  limitMs?: number;
}

/** A long-lived program running inside the namespace. */
export interface NsProcess {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** Sends `signal` (SIGTERM by default), continues a stopped process, waits; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** SIGSTOP: the program keeps its sockets but answers nothing. */
  pause(): void;
  resume(): void;
  readonly exited: Promise<number | null>;
}

export interface HostEnvOptions {
  /** Text of /etc/nsswitch.conf inside the namespace; default: `files ward` for passwd and group. */
  nsswitch?: string;
  /** PAM services (file name -> text) added to a copy of /etc/pam.d bind-mounted over it. */
  pamServices?: Record<string, string>;
  /** Collect syslog(3) messages (PAM modules log there): /dev/log becomes a socket of this process. */
  syslog?: boolean;
}

const DEFAULT_NSSWITCH = 'passwd: files ward\ngroup: files ward\nshadow: files\ngshadow: files\nhosts: files\n';
const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/** Every live holder and daemon of this process, killed when it exits (a crashed or failed test). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class HostEnv {
  private readonly procs = new Set<NsProcess>();
  private closed = false;
  /** With `syslog: true`: every message logged inside the namespace through /dev/log. */
  syslog: SyslogSink | undefined;

  private constructor(
    private readonly holder: ChildProcess,
    /** Root-only scratch folder outside the namespace (also visible inside it). */
    readonly dir: string,
  ) {}

  /** Creates the namespace and its mounts. Throws (with what went wrong) if any step fails. */
  static async create(opts: HostEnvOptions = {}): Promise<HostEnv> {
    requireHost();
    const dir = mkdtempSync(path.join(tmpdir(), 'ward-e2e-'));
    const holder = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', 'sleep', 'infinity'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: BASE_ENV,
    });
    live.add(holder);
    holder.once('exit', () => live.delete(holder));
    const env = new HostEnv(holder, dir);
    try {
      await env.waitForNamespace();
      await env.mountAll(opts);
      return env;
    } catch (e) {
      await env.close();
      throw e;
    }
  }

  get pid(): number {
    return this.holder.pid!;
  }

  /** The path under which this process sees the namespace's file `p` (e.g. a socket in /run). */
  inside(p: string): string {
    return `/proc/${this.pid}/root${p}`;
  }

  private nsenter(as: RunAs): string[] {
    const user = as === 'nobody' ? ['-S', String(NOBODY), '-G', String(NOGROUP)] : [];
    return [`--mount=/proc/${this.pid}/ns/mnt`, ...user, '--'];
  }

  /** Runs one command inside the namespace and waits for it (a clean environment: PATH, LANG=C). */
  run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (this.closed) throw new Error('the host environment is closed');
    return run('nsenter', [...this.nsenter(opts.as ?? 'root'), ...cmd], {
      env: { ...BASE_ENV, ...opts.env },
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      limitMs: opts.limitMs ?? 30_000,
    });
  }

  /** Starts a long-lived program inside the namespace; it dies with this process. */
  spawn(name: string, cmd: string[], opts: { as?: RunAs; env?: NodeJS.ProcessEnv } = {}): NsProcess {
    if (this.closed) throw new Error('the host environment is closed');
    // nsenter and setpriv exec (no fork): the child's pid is the program's own.
    const child = spawn('nsenter', [...this.nsenter(opts.as ?? 'root'), 'setpriv', '--pdeathsig', 'KILL', '--', ...cmd], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...BASE_ENV, ...opts.env },
    });
    live.add(child);
    let out = '';
    const keep = (b: Buffer) => {
      out += b.toString('utf8');
      if (out.length > 1 << 20) out = out.slice(-(1 << 19));
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', (e) => {
        out += `spawn error: ${e.message}\n`;
        live.delete(child);
        resolve(null);
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (signal) out += `[${name} ended by ${signal}]\n`;
        resolve(code);
      });
    });
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    const procs = this.procs;
    const proc: NsProcess = {
      name,
      pid: child.pid ?? -1,
      get running() {
        return !gone();
      },
      output: () => out,
      exited,
      async stop(signal = 'SIGTERM', graceMs = 10_000) {
        if (!gone()) {
          child.kill(signal);
          child.kill('SIGCONT');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        procs.delete(proc);
        return child.exitCode;
      },
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
    };
    procs.add(proc);
    return proc;
  }

  /** Stops every program started here, the holder (ending the namespace), and removes the scratch folder. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.procs].map((p) => p.stop('SIGTERM', 5000)));
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      const gone = new Promise((resolve) => this.holder.once('exit', resolve));
      this.holder.kill('SIGKILL');
      await gone;
    }
    await this.syslog?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitForNamespace(): Promise<void> {
    let err = '';
    this.holder.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const own = readlinkNs(process.pid);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.holder.exitCode !== null) throw new Error(`unshare --mount failed: ${err.trim()}`);
      // Only once unshare has exec'd sleep has it also made every mount private: mounting
      // earlier could propagate to the machine.
      const ns = readlinkNs(this.pid);
      if (ns && ns !== own && commOf(this.pid) === 'sleep') return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the namespace holder did not start');
  }

  private async mountAll(opts: HostEnvOptions): Promise<void> {
    const nsswitch = path.join(this.dir, 'nsswitch.conf');
    writeFileSync(nsswitch, opts.nsswitch ?? DEFAULT_NSSWITCH);
    chmodSync(nsswitch, 0o644);
    const steps = [
      `mount -t overlay overlay -o "lowerdir=${BUILD_LIB}:${SYSTEM_LIBDIR}" "${SYSTEM_LIBDIR}"`,
      `mount --bind "${nsswitch}" /etc/nsswitch.conf`,
      'mount -t tmpfs -o mode=0755 ward-e2e-run /run',
      'mkdir -m 0755 /run/sshd /run/ward-unixd',
      `chown ${NOBODY}:${NOGROUP} /run/ward-unixd`,
      'mount -t tmpfs -o mode=0755 ward-e2e-home /home',
    ];
    if (opts.pamServices) {
      const pamd = path.join(this.dir, 'pam.d');
      cpSync('/etc/pam.d', pamd, { recursive: true });
      for (const [service, text] of Object.entries(opts.pamServices)) writeFileSync(path.join(pamd, service), text, { mode: 0o644 });
      chmodSync(pamd, 0o755);
      steps.push(`mount --bind "${pamd}" /etc/pam.d`);
    }
    if (opts.syslog) {
      // /dev/log may not exist on this machine: a writable overlay over /dev (whose submounts
      // pts and shm are moved back on top) gets one, bound to a socket this process reads.
      const socket = path.join(this.dir, 'syslog.sock');
      this.syslog = await SyslogSink.start(socket);
      const s = path.join(this.dir, 'dev');
      steps.push(
        `mkdir -p "${s}/layer" "${s}/pts" "${s}/shm"`,
        `mount -t tmpfs ward-e2e-dev "${s}/layer"`,
        `mkdir "${s}/layer/upper" "${s}/layer/work"`,
        `mount --rbind /dev/pts "${s}/pts"`,
        `mount --rbind /dev/shm "${s}/shm"`,
        `mount -t overlay overlay -o "lowerdir=/dev,upperdir=${s}/layer/upper,workdir=${s}/layer/work" /dev`,
        `mount --move "${s}/pts" /dev/pts`,
        `mount --move "${s}/shm" /dev/shm`,
        ': > /dev/log',
        `mount --bind "${socket}" /dev/log`,
      );
    }
    const r = await this.run(['sh', '-ec', steps.join('\n')]);
    if (r.code !== 0) throw new Error(`setting up the namespace failed: ${r.stderr.trim()}`);
  }
}

/** The mount namespace of a process (`mnt:[4026531841]`), or undefined once it is gone. */
function readlinkNs(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A folder owned by `nobody` (mode 0700), for the daemon's config, CA copy and cache. */
export function nobodyDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chownSync(dir, NOBODY, NOGROUP);
  chmodSync(dir, 0o700);
  return dir;
}

/** Writes a file the `nobody` user owns. */
export function writeNobodyFile(file: string, text: string, mode = 0o600): void {
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  chownSync(file, NOBODY, NOGROUP);
}

/**
 * What the suites promise not to change on this machine: content hashes of the files and folders
 * an install would touch, and whether the paths the namespace provides exist outside it.
 */
export function hostFingerprint(): Record<string, string> {
  const print: Record<string, string> = {};
  const hashTree = (p: string): string => {
    const h = createHash('sha256');
    const walk = (q: string) => {
      const st = lstatSync(q);
      h.update(`${path.relative(p, q)}\0${st.mode}\0${st.uid}\0${st.gid}\0`);
      if (st.isDirectory()) for (const e of readdirSync(q).sort()) walk(path.join(q, e));
      else if (st.isFile()) h.update(readFileSync(q));
    };
    walk(p);
    return h.digest('hex');
  };
  for (const p of ['/etc/nsswitch.conf', '/etc/pam.d', '/etc/ssh/sshd_config']) print[p] = existsSync(p) ? hashTree(p) : 'absent';
  for (const p of ['/run/ward-unixd', '/run/sshd', `${SYSTEM_LIBDIR}/libnss_ward.so.2`, `${SYSTEM_LIBDIR}/security/pam_ward.so`]) {
    print[p] = existsSync(p) ? 'present' : 'absent';
  }
  print['/home'] = readdirSync('/home').sort().join(',');
  return print;
}
