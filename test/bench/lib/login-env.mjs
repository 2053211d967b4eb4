/**
 * A host to log in to, for the login benchmark (../logins.mjs): one long-lived private mount
 * namespace in which sshd, pamtester and ssh see this machine as a Ward-enrolled host would be,
 * while the machine's own /etc, /usr, /run and /home never change.
 *
 * The recipe is test/e2e/hostenv.ts's (see ../shared/reference/host-testbed.md), ported to
 * plain node because the benchmarks cannot import that TypeScript: a holder process
 * (`setpriv --pdeathsig KILL unshare --mount --propagation private sleep infinity`) owns the
 * namespace and every command enters it with `nsenter --mount=/proc/<holder>/ns/mnt`. Inside:
 *   - the system library folder is an overlay with build/lib on top, so glibc and libpam load
 *     the built libnss_ward.so.2 and security/pam_ward.so by their plain names;
 *   - /etc/nsswitch.conf (`files ward`), /etc/pam.d, /etc/passwd, /etc/shadow and /etc/group are
 *     bind-mounted copies; the account files gain one local user that exists only in here;
 *   - /run and /home are fresh tmpfs mounts, and /run/ward-unixd is the run folder of the
 *     ward-unixd that lib/unixd.mjs started (its sockets are named as the compiled-in defaults),
 *     so sshd's key command and pam_ward, which get no environment, find the daemon where a
 *     real host has it.
 * Everything mounted lives and dies with the namespace: when the holder and the programs started
 * in it are gone, so are the mounts. Programs started here get PR_SET_PDEATHSIG too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, cpSync, existsSync, openSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_LIB, KEYCMD, hostUnavailable } from './namespace.mjs';
import { sleep } from './stats.mjs';

export const PAM_MODULE = path.join(BUILD_LIB, 'security/pam_ward.so');
/** The folder holding libnss_files.so.2 and security/pam_unix.so on this machine. */
export const SYSTEM_LIBDIR = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64'].find((d) =>
  existsSync(path.join(d, 'libnss_files.so.2')));
const NSSWITCH = 'passwd: files ward\ngroup: files ward\nshadow: files\ngshadow: files\nhosts: files\n';
const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/** Holders and programs still running when the benchmark exits (a failed run) die with it. */
const live = new Set();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function have(program) {
  return program.startsWith('/') ? existsSync(program) : execFileSync('sh', ['-c', `command -v ${program} || true`], { encoding: 'utf8' }).trim() !== '';
}

/** Why the login benchmark cannot run here, or undefined when it can. */
export function loginUnavailable() {
  const why = hostUnavailable();
  if (why) return why;
  if (!SYSTEM_LIBDIR) return 'no system library folder with libnss_files.so.2';
  if (!existsSync(PAM_MODULE)) return `${PAM_MODULE} is missing (npm run build)`;
  for (const p of ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'pamtester', 'nsenter', 'setpriv', 'hyperfine']) {
    if (!have(p)) return `${p} is missing (Debian: openssh-server, pamtester, util-linux, hyperfine)`;
  }
  return undefined;
}

/**
 * Copies of /etc/passwd, /etc/shadow and /etc/group in `dir` (same modes and owners) with one
 * more local user, `user` = { name, uid, gid, home, shell }, and its own group.
 */
export function localAccountFiles(dir, user) {
  const files = {};
  const add = (name, line) => {
    const copy = path.join(dir, name);
    cpSync(`/etc/${name}`, copy, { preserveTimestamps: true });
    const st = statSync(`/etc/${name}`);
    chmodSync(copy, st.mode & 0o7777);
    execFileSync('chown', [`${st.uid}:${st.gid}`, copy]);
    appendFileSync(copy, `${line}\n`);
    files[name] = copy;
  };
  add('passwd', `${user.name}:x:${user.uid}:${user.gid}:bench local user:${user.home}:${user.shell}`);
  add('shadow', `${user.name}:*:20000:0:99999:7:::`);
  add('group', `${user.name}:x:${user.gid}:`);
  return files;
}

export class LoginHost {
  constructor(holder, dir) {
    this.holder = holder;
    /** Root's scratch folder (outside the namespace, visible inside it at the same path). */
    this.dir = dir;
    this.procs = new Set();
  }

  /**
   * Creates the namespace in `dir` and mounts everything. `accounts` is localAccountFiles()'s
   * result, `pamServices` maps file names to text added to the copy of /etc/pam.d, `unixdRun`
   * is the daemon's run folder, `homes` lists { path, uid, gid } made in the fresh /home.
   */
  static async create({ dir, accounts, pamServices, unixdRun, homes = [] }) {
    const holder = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--mount', '--propagation', 'private', 'sleep', 'infinity'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: BASE_ENV,
    });
    live.add(holder);
    holder.once('exit', () => live.delete(holder));
    const host = new LoginHost(holder, dir);
    try {
      await host.waitForNamespace();
      const nsswitch = path.join(dir, 'nsswitch.conf');
      writeFileSync(nsswitch, NSSWITCH, { mode: 0o644 });
      const pamd = path.join(dir, 'pam.d');
      cpSync('/etc/pam.d', pamd, { recursive: true });
      for (const [service, text] of Object.entries(pamServices)) writeFileSync(path.join(pamd, service), text, { mode: 0o644 });
      chmodSync(pamd, 0o755);
      const steps = [
        `mount -t overlay overlay -o "lowerdir=${BUILD_LIB}:${SYSTEM_LIBDIR}" "${SYSTEM_LIBDIR}"`,
        `mount --bind "${nsswitch}" /etc/nsswitch.conf`,
        `mount --bind "${pamd}" /etc/pam.d`,
        ...Object.entries(accounts).map(([name, copy]) => `mount --bind "${copy}" /etc/${name}`),
        'mount -t tmpfs -o mode=0755 ward-bench-run /run',
        'mkdir -m 0755 /run/sshd /run/ward-unixd',
        `mount --bind "${unixdRun}" /run/ward-unixd`,
        'mount -t tmpfs -o mode=0755 ward-bench-home /home',
        ...homes.map((h) => `mkdir -m 0700 "${h.path}" && chown ${h.uid}:${h.gid} "${h.path}"`),
      ];
      const r = await host.run(['sh', '-ec', steps.join('\n')]);
      if (r.code !== 0) throw new Error(`setting up the namespace failed: ${r.stderr.trim()}`);
      return host;
    } catch (e) {
      await host.close();
      throw e;
    }
  }

  get pid() {
    return this.holder.pid;
  }

  nsenter(argv) {
    return ['nsenter', `--mount=/proc/${this.pid}/ns/mnt`, '--', ...argv];
  }

  /** Runs argv inside the namespace as root; resolves { code, stdout, stderr, ms }. */
  run(argv, { input, limitMs = 60_000 } = {}) {
    const [cmd, ...args] = this.nsenter(argv);
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(cmd, args, { env: BASE_ENV, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out = [];
      const err = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.stdout.on('data', (c) => out.push(c));
      child.stderr.on('data', (c) => err.push(c));
      child.on('error', reject);
      if (input !== undefined) child.stdin.end(input);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? 128, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - t0 });
      });
    });
  }

  /**
   * Starts a long-lived program inside the namespace, its output appended to `logFile`.
   * nsenter and setpriv exec, so the handle's pid is the program's own (RSS, signals).
   */
  spawn(name, argv, logFile) {
    const [cmd, ...args] = this.nsenter(['setpriv', '--pdeathsig', 'KILL', '--', ...argv]);
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { env: BASE_ENV, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    live.add(child);
    const exited = new Promise((resolve) => child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }));
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    const procs = this.procs;
    const proc = {
      name,
      pid: child.pid,
      get running() {
        return !gone();
      },
      log: () => readFileSync(logFile, 'utf8'),
      async stop() {
        if (!gone()) {
          child.kill('SIGTERM');
          child.kill('SIGCONT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        procs.delete(proc);
      },
    };
    procs.add(proc);
    return proc;
  }

  /** Stops every program started here, then the holder: the namespace and its mounts go with it. */
  async close() {
    await Promise.allSettled([...this.procs].map((p) => p.stop()));
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      const gone = new Promise((resolve) => this.holder.once('exit', resolve));
      this.holder.kill('SIGKILL');
      await gone;
    }
  }

  async waitForNamespace() {
    let err = '';
    this.holder.stderr.on('data', (b) => (err += b.toString()));
    const ns = (pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/mnt`);
      } catch {
        return undefined;
      }
    };
    const own = ns(process.pid);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.holder.exitCode !== null) throw new Error(`unshare --mount failed: ${err.trim()}`);
      // Only once unshare has exec'd sleep are all mounts private: mounting earlier could reach the machine.
      let comm;
      try {
        comm = readFileSync(`/proc/${this.pid}/comm`, 'utf8').trim();
      } catch {
        comm = undefined;
      }
      if (ns(this.pid) && ns(this.pid) !== own && comm === 'sleep') return;
      await sleep(20);
    }
    throw new Error('the namespace holder did not start');
  }
}

/** A fresh ed25519 key pair from ssh-keygen in `dir`: { file, publicKey }. */
export function makeSshKey(dir, name) {
  const file = path.join(dir, `${name}_key`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@bench`, '-f', file], { stdio: 'pipe' });
  return { file, publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/**
 * sshd runs an AuthorizedKeysCommand only if it and every folder above it are root's and not
 * writable by group or others. A root-owned checkout passes; otherwise a copy goes into the
 * namespace's own /run.
 */
async function keyCommand(host) {
  for (let p = KEYCMD; ; p = path.dirname(p)) {
    const st = statSync(p);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) break;
    if (p === '/') return KEYCMD;
  }
  const copy = '/run/ward-bench-bin/kanidm-ssh-authorizedkeys';
  const r = await host.run(['install', '-D', '-m', '0755', '-o', 'root', '-g', 'root', KEYCMD, copy]);
  if (r.code !== 0) throw new Error(`cannot place the key command for sshd: ${r.stderr}`);
  return copy;
}

/**
 * A real sshd on a loopback port inside the namespace, configured as the SSSD baseline's
 * (run-sssd-baseline.sh setup_sshd) with our key command in place of sss_ssh_authorizedkeys:
 * UsePAM yes, keys from a root-owned per-user file (local users) or else from the command.
 * `freePort` comes from @ward/server/testing. Resolves { port, log(), proc, stop() }.
 */
export async function startSshd(host, { authorizedKeysDir, freePort }) {
  const dir = path.join(host.dir, 'sshd');
  execFileSync('mkdir', ['-p', '-m', '0700', dir]);
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(hostKey)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { stdio: 'pipe' });
  const command = await keyCommand(host);
  // A free port can be taken between asking and binding: sshd then exits and another is tried.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = path.join(dir, `sshd_config.${attempt}`);
    const logFile = path.join(dir, `sshd.${attempt}.log`);
    writeFileSync(config, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `PidFile ${path.join(dir, 'sshd.pid')}`,
      'UsePAM yes', 'PubkeyAuthentication yes', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      `AuthorizedKeysFile ${authorizedKeysDir}/%u`, `AuthorizedKeysCommand ${command} %u`, 'AuthorizedKeysCommandUser nobody',
      'PermitRootLogin prohibit-password', 'StrictModes no', 'UseDNS no', 'PrintMotd no', 'PrintLastLog no', 'LogLevel INFO', '',
    ].join('\n'));
    writeFileSync(logFile, '');
    const proc = host.spawn('sshd', ['/usr/sbin/sshd', '-D', '-f', config, '-E', logFile], path.join(dir, `sshd.${attempt}.out`));
    const log = () => readFileSync(logFile, 'utf8');
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (log().includes(`Server listening on 127.0.0.1 port ${port}`)) return { port, log, proc, stop: () => proc.stop() };
      if (!proc.running) {
        const why = `${proc.log()}${log()}`.trim();
        if (attempt < 5 && /Address already in use|Cannot bind/i.test(why)) break;
        throw new Error(`sshd did not start: ${why}`);
      }
      if (Date.now() > deadline) {
        await proc.stop();
        throw new Error(`sshd did not start listening within 15 s: ${log()}`);
      }
      await sleep(50);
    }
  }
}

/** The ssh client command line the SSSD baseline timed (ssh_cmd), never prompting. */
export function sshArgv(port, key, user, command = 'true') {
  return [
    'ssh', '-F', '/dev/null', '-i', key.file, '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=90', `${user}@127.0.0.1`, command,
  ];
}
