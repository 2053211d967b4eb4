/**
 * deploy/install-host.sh and deploy/uninstall-host.sh against a throwaway root: a copy of this
 * machine's /etc plus the library directories the script looks for. Each run happens inside a
 * private mount namespace where the real /etc, /usr and /var are read-only, so a script that
 * strayed outside --root would fail instead of changing the machine.
 *
 * Shown: a second install changes no byte, mode or owner anywhere in the root; the nsswitch,
 * PAM and sshd lines are there once; the installed runtime runs on its own; uninstall gives
 * back the original tree exactly; edits made by an administrator after the install survive.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUILD = path.join(REPO, 'build');
/** The directory holding libnss_files.so.2 and security/pam_unix.so on this machine. */
const LIBDIR = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64'].find((d) => fs.existsSync(`${d}/libnss_files.so.2`))!;
const GUARD = 'for d in /etc /usr /var; do mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" || exit 99; done; exec "$@"';

let tmp: string;
let buildDir: string;
let ca: string;
let token: string;

interface Run {
  status: number | null;
  stderr: string;
}

function script(name: string, args: string[]): Run {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', GUARD, 'sh', path.join(REPO, 'deploy', name), ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

function install(root: string, extra: string[] = []): Run {
  return script('install-host.sh', [
    '--root', root, '--build-dir', buildDir, '--idp-url', 'https://idm.example.com:8443', '--ca', ca,
    '--token-file', token, '--allowed-groups', 'devs,ops@example.com', ...extra,
  ]);
}

/** A fresh root: a copy of /etc and the library files the script detects its directories by. */
function makeRoot(name: string): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, LIBDIR.slice(1), 'security'), { recursive: true });
  for (const d of ['usr/local/bin', 'usr/local/lib', 'var/cache']) fs.mkdirSync(path.join(root, d), { recursive: true });
  execFileSync('cp', ['-a', '/etc', path.join(root, 'etc')]);
  execFileSync('cp', ['-a', `${LIBDIR}/libnss_files.so.2`, path.join(root, LIBDIR.slice(1))]);
  execFileSync('cp', ['-a', `${LIBDIR}/security/pam_unix.so`, path.join(root, LIBDIR.slice(1), 'security')]);
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  return root;
}

/** Every entry of the tree: type, mode, owner, link target, content hash. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    let what = `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) what += ` -> ${fs.readlinkSync(p)}`;
    else if (st.isFile()) what += ` ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    out.set(path.relative(root, p) || '.', what);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(root);
  return out;
}

/** What differs between two snapshots, one line per path (empty when identical). */
function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(b.has(k) ? `changed ${k}` : `removed ${k}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`added ${k}`);
  return out.sort();
}

function read(root: string, p: string): string {
  return fs.readFileSync(path.join(root, p), 'utf8');
}

function count(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l)).length;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ward-install-'));
  fs.chmodSync(tmp, 0o755);
  // The real native outputs; the PAM module is another part's and may not be built yet, so
  // only the test's own build directory gets a stand-in for it.
  if (!fs.existsSync(`${BUILD}/lib/libnss_ward.so.2`) && fs.existsSync(path.join(REPO, 'nss/Makefile'))) {
    execFileSync('make', ['-s', '-C', path.join(REPO, 'nss')]);
  }
  buildDir = path.join(tmp, 'build');
  fs.mkdirSync(path.join(buildDir, 'lib', 'security'), { recursive: true });
  fs.mkdirSync(path.join(buildDir, 'bin'));
  for (const f of ['lib/libnss_ward.so.2', 'bin/kanidm-ssh-authorizedkeys', 'bin/ward-ssh-authorizedkeys']) {
    fs.copyFileSync(path.join(BUILD, f), path.join(buildDir, f));
  }
  const pam = path.join(BUILD, 'lib/security/pam_ward.so');
  if (fs.existsSync(pam)) fs.copyFileSync(pam, path.join(buildDir, 'lib/security/pam_ward.so'));
  else fs.writeFileSync(path.join(buildDir, 'lib/security/pam_ward.so'), 'stand-in for the PAM module\n');

  ca = path.join(tmp, 'ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(tmp, 'ca.key'),
    '-out', ca, '-subj', '/CN=ward test CA', '-days', '2'], { stdio: 'ignore' });
  token = path.join(tmp, 'token');
  fs.writeFileSync(token, 'ward_test_token_value\n', { mode: 0o600 });
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('host install', () => {
  it('installs once, changes nothing the second time, and uninstalls to the original tree', () => {
    const root = makeRoot('root-main');
    const original = snapshot(root);

    const first = install(root);
    expect(first.stderr).toMatch(/installed \(undo with deploy\/uninstall-host.sh --root /);
    expect(first.status).toBe(0);
    const afterFirst = snapshot(root);

    // nsswitch: ward once on passwd and group, after the local sources.
    const nss = read(root, 'etc/nsswitch.conf');
    expect(nss).toMatch(/^passwd:\s+files systemd ward$/m);
    expect(nss).toMatch(/^group:\s+files systemd ward$/m);
    expect(count(nss, /\bward\b/)).toBe(2);
    // PAM: one line per stack; the auth and password jumps still land on pam_permit.
    for (const stack of ['auth', 'account', 'password', 'session']) {
      expect(count(read(root, `etc/pam.d/common-${stack}`), /^[a-z]+\s.*pam_ward\.so/)).toBe(1);
    }
    const auth = read(root, 'etc/pam.d/common-auth');
    expect(auth).toMatch(/^auth\t\[success=2 default=ignore\]\tpam_unix\.so nullok\n# ward: .*\nauth\t\[success=1 default=ignore\]\tpam_ward\.so use_first_pass\n# here's the fallback if no module succeeds\nauth\trequisite\t+pam_deny\.so$/m);
    // account: before pam_unix, which cannot pass a directory user; a refusal fails the stack.
    expect(read(root, 'etc/pam.d/common-account')).toMatch(/^# ward: .*\naccount\t\[success=2 new_authtok_reqd=done .*default=bad\]\tpam_ward\.so\naccount\t\[success=1 new_authtok_reqd=done default=ignore\]\tpam_unix\.so/m);
    expect(read(root, 'etc/pam.d/common-session')).toMatch(/^session\toptional\tpam_ward\.so\n$/m);
    // sshd: a drop-in, since Debian's sshd_config includes sshd_config.d.
    const dropin = read(root, 'etc/ssh/sshd_config.d/20-ward.conf');
    expect(dropin).toMatch(/^AuthorizedKeysCommand \/usr\/local\/bin\/kanidm-ssh-authorizedkeys %u$/m);
    expect(dropin).toMatch(/^AuthorizedKeysCommandUser nobody$/m);
    expect(read(root, 'etc/ssh/sshd_config')).toBe(fs.readFileSync('/etc/ssh/sshd_config', 'utf8'));
    // The config, the secrets' modes, the modules, the units and their enablement.
    expect(read(root, 'etc/ward/unixd.toml')).toMatch(/^idp_url = "https:\/\/idm.example.com:8443"\nca_path = "\/etc\/ward\/idp-ca.pem"\ntoken_path = "\/run\/credentials\/ward-unixd.service\/token"\nallowed_login_groups = \["devs", "ops@example.com"\]\n$/m);
    expect(afterFirst.get('etc/ward/unixd.token')).toMatch(/^100000 600 0:0 /);
    expect(afterFirst.get(`${LIBDIR.slice(1)}/libnss_ward.so.2`)).toMatch(/^100000 644 0:0 /);
    expect(afterFirst.get(`${LIBDIR.slice(1)}/security/pam_ward.so`)).toMatch(/^100000 644 0:0 /);
    expect(afterFirst.get('usr/local/bin/kanidm-ssh-authorizedkeys')).toMatch(/^100000 755 0:0 /);
    for (const unit of ['ward-unixd.service', 'ward-unixd-tasks.service']) {
      expect(fs.readlinkSync(path.join(root, 'etc/systemd/system/multi-user.target.wants', unit))).toBe(`/etc/systemd/system/${unit}`);
    }
    expect(read(root, 'etc/systemd/system/ward-unixd.service.d/token.conf')).toMatch(/^LoadCredential=token:\/etc\/ward\/unixd.token$/m);
    // Every changed file was backed up as it was.
    for (const f of ['etc/nsswitch.conf', 'etc/pam.d/common-auth', 'etc/pam.d/common-session']) {
      expect(afterFirst.get(`${f}.ward-backup`)).toBe(original.get(f));
    }
    // Nothing under the runtime copy is writable by anyone but root.
    for (const [p, v] of afterFirst) if (p.startsWith('usr/local/lib/ward')) expect(`${p} ${v}`).toMatch(/^\S+ \d+ [0-7]*[0145][0145] 0:0/);

    const second = install(root);
    expect(second.status).toBe(0);
    expect(second.stderr).toMatch(/already installed: nothing changed/);
    expect(differences(afterFirst, snapshot(root))).toEqual([]);

    const removed = script('uninstall-host.sh', ['--root', root]);
    expect(removed.status).toBe(0);
    expect(removed.stderr).toBe('uninstall-host.sh: uninstalled\n');
    expect(differences(original, snapshot(root))).toEqual([]);
    expect(script('uninstall-host.sh', ['--root', root]).stderr).toMatch(/nothing to uninstall/);
  }, 120_000);

  it('installs a runtime that runs on its own, through the installed wrapper', () => {
    const root = makeRoot('root-runtime');
    expect(install(root).status).toBe(0);
    const wrapper = read(root, 'usr/local/bin/ward-unixd');
    const entry = /exec (\S+) (\S+) "\$@"/.exec(wrapper)!;
    expect(fs.realpathSync(entry[1]!)).toBe(fs.realpathSync(process.execPath));
    expect(entry[2]).toBe('/usr/local/lib/ward/node_modules/@ward/unixd/dist/bin/ward-unixd.js');
    // Check the installed config with the installed code (paths moved under the test root;
    // the token credential exists only under systemd).
    const config = path.join(tmp, 'runtime-check.toml');
    fs.writeFileSync(config, read(root, 'etc/ward/unixd.toml').replace('/etc/ward/idp-ca.pem', `${root}/etc/ward/idp-ca.pem`).replace(/^token_path.*\n/m, ''));
    const check = spawnSync(process.execPath, [path.join(root, entry[2]!), '--check', '-c', config], { encoding: 'utf8', cwd: '/' });
    expect(check.stdout).toBe(`${config}: OK\n`);
    expect(spawnSync(process.execPath, [path.join(root, '/usr/local/lib/ward/node_modules/@ward/unixd/dist/bin/ward-unixd-tasks.js'), '--help'], { encoding: 'utf8' }).stdout)
      .toMatch(/^Usage: ward-unixd-tasks/);
    expect(script('uninstall-host.sh', ['--root', root]).status).toBe(0);
  }, 120_000);

  it('edits sshd_config itself when it includes no drop-ins, and puts back files it replaced', () => {
    const root = makeRoot('root-sshd');
    const cfg = path.join(root, 'etc/ssh/sshd_config');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/^Include .*\n/m, '') + 'Match User backup\n\tForceCommand internal-sftp\n');
    fs.mkdirSync(path.join(root, 'etc/ward'));
    fs.writeFileSync(path.join(root, 'etc/ward/unixd.toml'), 'idp_url = "https://old.example.com"\n', { mode: 0o640 });
    const original = snapshot(root);

    expect(install(root).status).toBe(0);
    const text = read(root, 'etc/ssh/sshd_config');
    // At the very top: sshd keeps the first value and a Match block runs to the end.
    expect(text.startsWith('# BEGIN ward')).toBe(true);
    expect(count(text, /^AuthorizedKeysCommand \/usr\/local\/bin\/kanidm-ssh-authorizedkeys %u$/)).toBe(1);
    expect(fs.existsSync(path.join(root, 'etc/ssh/sshd_config.d/20-ward.conf'))).toBe(false);
    expect(read(root, 'etc/ward/unixd.toml.ward-backup')).toBe('idp_url = "https://old.example.com"\n');
    const installed = snapshot(root);
    expect(install(root).status).toBe(0);
    expect(differences(installed, snapshot(root))).toEqual([]);

    expect(script('uninstall-host.sh', ['--root', root]).status).toBe(0);
    expect(differences(original, snapshot(root))).toEqual([]);
  }, 120_000);

  it('keeps an administrator\'s later edits on uninstall, taking out only its own lines', () => {
    const root = makeRoot('root-edited');
    const nssOriginal = read(root, 'etc/nsswitch.conf');
    expect(install(root).status).toBe(0);
    fs.appendFileSync(path.join(root, 'etc/nsswitch.conf'), 'automount: files\n');
    const r = script('uninstall-host.sh', ['--root', root]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\/etc\/nsswitch.conf was changed after the install: only ward's lines were taken out/);
    expect(read(root, 'etc/nsswitch.conf')).toBe(`${nssOriginal}automount: files\n`);
    expect(read(root, 'etc/nsswitch.conf.ward-backup')).toBe(nssOriginal);
  }, 120_000);

  it('changes nothing when an argument or a build output is wrong', () => {
    const root = makeRoot('root-refused');
    const original = snapshot(root);
    const cases: Array<[string[], RegExp]> = [
      [['--idp-url', 'http://idm.example.com'], /--idp-url must be an https origin/],
      [['--idp-url', 'https://idm.example.com/path'], /--idp-url must be an https origin/],
      [['--allowed-groups', 'devs,"x"'], /'"x"' is not a group name/],
      [['--allowed-groups', 'a..b'], /'a\.\.b' is not a group name/],
      [['--ca', '/etc/hostname'], /holds no PEM certificate/],
      [['--build-dir', path.join(tmp, 'no-build')], /libnss_ward.so.2 is missing: build first/],
      [['--prefix', 'usr/local'], /--prefix must be an absolute path/],
      [['--bogus', 'x'], /unknown option --bogus/],
    ];
    for (const [args, message] of cases) {
      const r = install(root, args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(differences(original, snapshot(root))).toEqual([]);
  }, 120_000);
});
