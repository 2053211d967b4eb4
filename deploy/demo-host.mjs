// The host half of `npm run demo`: this machine acting as a Ward host, without changing it.
//
// It starts a real ward-unixd for the demo IdP with everything in <dataDir>/unixd: its config,
// CA copy and log, its cache in unixd/cache and its sockets in unixd/run instead of /run. Members
// of demo_devs may log in. Then it shows what a host sees of the demo user:
//   - the SSH keys sshd would get, from the built key command (build/bin/kanidm-ssh-authorizedkeys);
//   - `getent passwd demo` and `id demo` through the built NSS module: as root, inside a private
//     mount namespace (unshare) where a private nsswitch.conf (`passwd: files ward`) is
//     bind-mounted and the module is overlaid onto the system library folder, so the machine's
//     own /etc and /usr never change. Without root, `ward-unix status` stands in, with the
//     command to run the lookup later;
//   - `ward-unix auth-test`: the demo's unix password checked the way PAM would check it.
// ward-unixd refuses to run as root: as root the demo runs it as `nobody`, laid out as on a real
// host: the config, the CA and the helper root runs (with-ward-nss) belong to root, and only
// unixd/run and unixd/cache to nobody, so the daemon cannot rewrite what root reads or runs.
// The data folder gets search permission (x only) so that nobody can reach unixd/; the IdP's own
// files there stay mode 0600. Not as root, the daemon runs as the current user. The daemon is
// pushed to `children`, so the demo stops it on Ctrl-C. Every command is printed so it can be
// rerun.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { callSocket } from '@ward/proto/node';

const NOBODY = 65534;
const NOGROUP = 65534;
const NEVER = 0xffffffff;
const START_TIMEOUT_MS = 20_000;

/** `word` quoted for sh, for the commands printed and the helper script. */
const q = (word) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
const cmdline = (words) => words.map(q).join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function toml(settings) {
  const value = (v) => (Array.isArray(v) ? `[${v.map(value).join(', ')}]` : JSON.stringify(v));
  return Object.entries(settings).map(([k, v]) => `${k} = ${value(v)}`).join('\n') + '\n';
}

/** Why a private mount namespace cannot be made here, or undefined when it can. */
function namespaceProblem() {
  if (process.getuid() !== 0) return 'it needs root (a private mount namespace with bind mounts)';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (r.status !== 0) return `unshare --mount failed here: ${(r.stderr || r.error?.message || '').trim()}`;
  return undefined;
}

/** The system library folder glibc loads NSS modules from (Debian: /usr/lib/<multiarch>). */
function systemLibDir() {
  const triplet = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim();
  const candidates = [triplet && `/usr/lib/${triplet}`, '/usr/lib64', '/usr/lib'].filter(Boolean);
  return candidates.find((dir) => existsSync(path.join(dir, 'libnss_files.so.2')) || existsSync(path.join(dir, 'libc.so.6')));
}

/**
 * Writes unixd/with-ward-nss: runs a command (as root) in a private mount namespace resolving
 * through the built NSS module and this demo's daemon, e.g. `with-ward-nss getent passwd demo`.
 */
function writeNssHelper(dir, { buildLib, libDir, socket }) {
  const nsswitch = path.join(dir, 'nsswitch.conf');
  writeReadOnly(nsswitch, 'passwd: files ward\ngroup: files ward\nshadow: files\nhosts: files\n');
  const script = path.join(dir, 'with-ward-nss');
  writeFileSync(script, [
    '#!/bin/sh',
    '# Written by `npm run demo`: runs a command in a private mount namespace where NSS asks the',
    '# demo\'s ward-unixd after /etc (passwd and group: files ward). Nothing outside changes.',
    'set -eu',
    '[ "$(id -u)" = 0 ] || { echo "with-ward-nss: run it as root (sudo): the mounts need it" >&2; exit 1; }',
    `export WARD_UNIXD_SOCKET=${q(socket)}`,
    `exec unshare --mount --propagation private sh -c 'mount -t overlay overlay -o "lowerdir=$1:$2" "$2" && mount --bind "$3" /etc/nsswitch.conf && shift 3 && exec "$@"' \\`,
    `  sh ${q(buildLib)} ${q(libDir)} ${q(nsswitch)} "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  chmodSync(script, 0o755);
  return script;
}

/** Gives the daemon's folders and files to its user (they may be left from a run as another user). */
function handOver(files, uid, gid) {
  for (const f of files) if (existsSync(f)) chownSync(f, uid, gid);
}

/** Writes a file the daemon only reads, owned by whoever runs the demo. */
function writeReadOnly(file, text) {
  writeFileSync(file, text, { mode: 0o644 });
  chownSync(file, process.getuid(), process.getgid());
  chmodSync(file, 0o644);
}

/** Resolves once the daemon answers and holds a complete listing with the demo user in it. */
async function waitReady(socket, child, logFile, spawnError) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (spawnError()) throw new Error(`cannot start ward-unixd: ${spawnError().message}`);
    if (child.exitCode !== null) throw new Error(`ward-unixd exited with status ${child.exitCode}:\n${tail(logFile)}`);
    try {
      const r = await callSocket(socket, 'STATUS', {}, { timeoutMs: 1000 });
      if (r.status === 0 && r.msg.users >= 1 && r.msg.last_refresh_age !== NEVER) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`ward-unixd did not fill its cache within ${START_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
    await sleep(100);
  }
}

function tail(file, lines = 8) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

/** Runs a command (an argv array) for the summary: its output, or its failure in one line. */
function attempt([cmd, ...args], opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000, ...opts });
  const out = (r.stdout ?? '').trimEnd();
  if (r.status === 0) return { ok: true, out };
  const why = (r.stderr ?? '').trim() || r.error?.message || `exit status ${r.status}`;
  return { ok: false, out: out ? `${out}\n${why}` : why };
}

const indent = (text) => text.split('\n').map((l) => `    ${l}`).join('\n');

/**
 * Starts the host daemon and returns { summary } for demo.mjs to print. A host side that cannot
 * start (a checkout `nobody` cannot read, say) does not stop the IdP demo: the summary says why.
 */
export async function startHostDemo(opts) {
  try {
    return await startHost(opts);
  } catch (e) {
    const hint = process.getuid() === 0 ? `\n  (ward-unixd runs as nobody: every folder above ${opts.root} must be searchable by it)` : '';
    return { summary: `\nThe host half of the demo did not start: ${e.message}${hint}\n` };
  }
}

async function startHost({ root, dataDir, url, caPath, children, unixPassword }) {
  const dir = path.join(dataDir, 'unixd');
  const run = path.join(dir, 'run');
  const cacheDir = path.join(dir, 'cache');
  const configPath = path.join(dir, 'unixd.toml');
  const ca = path.join(dir, 'ca.pem');
  const logFile = path.join(dir, 'ward-unixd.log');
  const socket = path.join(run, 'sock');
  const bin = path.join(root, 'packages/unixd/dist/bin');
  const keyCommand = path.join(root, 'build/bin/kanidm-ssh-authorizedkeys');
  const asRoot = process.getuid() === 0;
  const [uid, gid] = asRoot ? [NOBODY, NOGROUP] : [process.getuid(), process.getgid()];

  for (const d of [dir, run, cacheDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
  if (asRoot) {
    chmodSync(dataDir, 0o711);
    handOver([dir], 0, 0);
    handOver([run, cacheDir, ...['', '-wal', '-shm'].map((s) => path.join(cacheDir, `cache.db${s}`))], uid, gid);
  }
  copyFileSync(caPath, ca);
  chmodSync(ca, 0o644);
  writeReadOnly(configPath, '# Written by `npm run demo`. Every key: docs/unixd-config.md\n' + toml({
    idp_url: url,
    ca_path: ca,
    socket,
    priv_socket: path.join(run, 'priv.sock'),
    tasks_socket: path.join(run, 'tasks.sock'),
    cache_db: path.join(cacheDir, 'cache.db'),
    allowed_login_groups: ['demo_devs'],
    log_level: 'info',
  }));
  const log = openSync(logFile, 'a', 0o644);
  const child = spawn(process.execPath, [path.join(bin, 'ward-unixd.js'), '-c', configPath], { uid, gid, cwd: dir, stdio: ['ignore', log, log] });
  closeSync(log);
  let spawnError;
  child.once('error', (e) => (spawnError = e));
  children.push(child);
  const who = asRoot ? 'nobody' : `uid ${uid}`;
  await waitReady(socket, child, logFile, () => spawnError);

  const keysCmd = [keyCommand, '--socket', socket, 'demo'];
  const keys = attempt(keysCmd);
  const wardUnix = (args) => [process.execPath, path.join(bin, 'ward-unix.js'), '-c', configPath, ...args];
  // As printed: `npx ward-unix` resolves from the checkout (npm run build links it).
  const wardUnixShown = (args) => ['npx', 'ward-unix', '-c', configPath, ...args];
  const lines = [
    '',
    `This machine is also a Ward host: ward-unixd runs as ${who} (log ${logFile}),`,
    `serving ${socket}; members of demo_devs may log in. Nothing outside ${dataDir} changed.`,
    '',
    `SSH keys sshd would accept for demo (its AuthorizedKeysCommand):`,
    `  $ ${cmdline(keysCmd)}`,
    indent(keys.out),
  ];

  const problem = namespaceProblem();
  const libDir = systemLibDir();
  const helper = writeNssHelper(dir, { buildLib: path.join(root, 'build/lib'), libDir: libDir ?? '/usr/lib', socket });
  if (!problem && libDir) {
    const getent = attempt([helper, 'getent', 'passwd', 'demo']);
    const id = attempt([helper, 'id', 'demo']);
    lines.push(
      '',
      'demo through the NSS module (libnss_ward.so.2, in a private mount namespace):',
      `  $ ${cmdline([helper, 'getent', 'passwd', 'demo'])}`,
      indent(getent.out),
      `  $ ${cmdline([helper, 'id', 'demo'])}`,
      indent(id.out),
    );
  } else {
    const status = attempt(wardUnix(['status']));
    lines.push(
      '',
      `getent through the NSS module is not shown: ${problem ?? 'the system library folder was not found'}.`,
      'The daemon, as `ward-unix status` sees it:',
      `  $ ${cmdline(wardUnixShown(['status']))}`,
      indent(status.out),
      'To see demo as the system does, run as root:',
      `  $ sudo ${cmdline([helper, 'getent', 'passwd', 'demo'])}`,
    );
  }

  if (unixPassword) {
    const check = attempt(wardUnix(['auth-test', '--name', 'demo']), { input: `${unixPassword}\n` });
    lines.push(
      '',
      'The unix password checked as PAM would (auth, then account):',
      `  $ ${cmdline(wardUnixShown(['auth-test', '--name', 'demo']))}${asRoot ? '' : '   # as you or root'}`,
      indent(check.out),
    );
  }
  return { summary: lines.join('\n') + '\n' };
}
