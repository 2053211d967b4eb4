/**
 * A real OpenSSH server on a loopback port inside a HostEnv namespace, configured the way
 * deploy/ and nss/README.md tell an administrator to: no authorized_keys files, keys come only
 * from `kanidm-ssh-authorizedkeys %u` run as `nobody`. And the real `ssh` client to log in with,
 * with keys made by ssh-keygen.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@ward/server/testing';
import { KEYCMD } from '../native/helpers.js';
import type { HostEnv, NsProcess, RunResult } from './hostenv.js';

export interface SshKey {
  /** Private key file (mode 0600, root's). */
  file: string;
  /** The public key line, as a user would paste it into the IdP. */
  publicKey: string;
}

/** A fresh ed25519 key pair from ssh-keygen, in `dir`. */
export function makeSshKey(dir: string, name: string): SshKey {
  const file = path.join(dir, `${name}_key`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@e2e`, '-f', file], { stdio: 'pipe' });
  return { file, publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/**
 * sshd runs an AuthorizedKeysCommand only if the file and every folder above it are root's and
 * not writable by group or others. The checkout usually is (root-owned, 0755): then the built
 * command is used in place. Otherwise (a checkout under /tmp) it is copied into the namespace's
 * own /run, which is root's and 0755.
 */
async function keyCommand(env: HostEnv): Promise<string> {
  let ok = true;
  for (let p = KEYCMD; ; p = path.dirname(p)) {
    const st = statSync(p);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) ok = false;
    if (p === '/') break;
  }
  if (ok) return KEYCMD;
  const copy = '/run/ward-e2e-bin/kanidm-ssh-authorizedkeys';
  const r = await env.run(['install', '-D', '-m', '0755', '-o', 'root', '-g', 'root', KEYCMD, copy]);
  if (r.code !== 0) throw new Error(`cannot place the key command for sshd: ${r.stderr}`);
  return copy;
}

export interface SshdOptions {
  /** `UsePAM yes` (issue 4) or `no` (issue 3). */
  usePam: boolean;
  /** More sshd_config lines. */
  extra?: string[];
}

export interface Sshd {
  port: number;
  /** sshd's log so far (LogLevel VERBOSE). */
  log(): string;
  proc: NsProcess;
  stop(): Promise<void>;
}

export async function startSshd(env: HostEnv, opts: SshdOptions): Promise<Sshd> {
  const dir = path.join(env.dir, 'sshd');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(hostKey)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { stdio: 'pipe' });
  const command = await keyCommand(env);
  // A free port can be taken between asking and binding: sshd then exits, and we try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = path.join(dir, `sshd_config.${attempt}`);
    const logFile = path.join(dir, `sshd.${attempt}.log`);
    writeFileSync(config, [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'AuthorizedKeysFile none',
      `AuthorizedKeysCommand ${command} %u`,
      'AuthorizedKeysCommandUser nobody',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `UsePAM ${opts.usePam ? 'yes' : 'no'}`,
      'StrictModes no',
      'LogLevel VERBOSE',
      'PrintMotd no',
      'PrintLastLog no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'MaxStartups 100',
      ...(opts.extra ?? []),
      '',
    ].join('\n'));
    writeFileSync(logFile, '');
    const proc = env.spawn('sshd', ['/usr/sbin/sshd', '-D', '-f', config, '-E', logFile]);
    const log = () => readFileSync(logFile, 'utf8');
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (log().includes(`Server listening on 127.0.0.1 port ${port}`)) {
        return { port, log, proc, stop: async () => void (await proc.stop()) };
      }
      if (!proc.running) {
        const why = `${proc.output()}${log()}`.trim();
        if (attempt < 5 && /Address already in use|Cannot bind/i.test(why)) break;
        throw new Error(`sshd did not start: ${why}`);
      }
      if (Date.now() > deadline) {
        await proc.stop('SIGKILL');
        throw new Error(`sshd did not start listening within 15 s: ${log()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `ssh -i KEY -p PORT USER@127.0.0.1 COMMAND` inside the namespace, never prompting. */
export function ssh(env: HostEnv, sshd: Pick<Sshd, 'port'>, user: string, key: SshKey, command: string): Promise<RunResult> {
  return env.run([
    'ssh', '-F', '/dev/null', '-p', String(sshd.port), '-i', key.file,
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
    `${user}@127.0.0.1`, command,
  ], { limitMs: 30_000 });
}
