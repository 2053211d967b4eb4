// Run by `npm test` before anything else: the end-to-end suites drive real programs (sshd, ssh,
// pamtester, getent, gcc for the native modules). On a fresh machine, as root, the missing Debian
// packages are installed here so that `npm install && npm test` works with nothing done by hand;
// as another user the command to run is printed and the tests stop.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEED = {
  gcc: 'gcc',
  make: 'make',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  pamtester: 'pamtester',
  openssl: 'openssl',
  unshare: 'util-linux',
  // `systemd-analyze verify` checks the units in systemd/ (the package is installed, never booted).
  'systemd-analyze': 'systemd',
  // The web UI's browser suites (test/browser/) drive Debian's Chromium through playwright-core.
  chromium: 'chromium',
};
const HEADERS = { '/usr/include/security/pam_modules.h': 'libpam0g-dev' };

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: 'ignore' }).status === 0;
}
const missing = new Set();
for (const [cmd, pkg] of Object.entries(NEED)) if (!have(cmd)) missing.add(pkg);
for (const [file, pkg] of Object.entries(HEADERS)) if (!existsSync(file)) missing.add(pkg);

if (missing.size) {
  const pkgs = [...missing];
  if (process.getuid?.() !== 0) {
    console.error(`The tests need these Debian packages: ${pkgs.join(' ')}`);
    console.error(`Install them with: sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
  console.error(`[preflight] installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
}
if (process.getuid?.() !== 0) {
  console.error('The end-to-end suites run sshd, PAM and NSS inside private mount namespaces (unshare --mount) and need root.');
  console.error('Run `sudo npm test` (nothing on the machine is changed: every mount is private to the test).');
  process.exit(1);
}
