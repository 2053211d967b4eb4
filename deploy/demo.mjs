#!/usr/bin/env node
// `npm run demo`: a whole Ward on this machine, for a first look. It starts the IdP (wardd) on its
// embedded SQLite store over TLS on 127.0.0.1 with a self-signed CA made on first start, recovers
// the idm_admin password, creates a demo person with a POSIX group (nested in another) and an SSH
// key, and prints exactly how to log in with the CLI. Then the host half (demo-host.mjs) starts a
// ward-unixd for it and shows the demo user's keys and passwd line as a host sees them. Everything
// lives in ./demo-data (WARD_DEMO_DIR; the port is WARD_DEMO_PORT); rerunning reuses it. Ctrl-C
// stops it all.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardClient } from '@ward/client';
import { startHostDemo } from './demo-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(process.env.WARD_DEMO_DIR ?? path.join(root, 'demo-data'));
const port = Number(process.env.WARD_DEMO_PORT ?? 8443);
const wardd = path.join(root, 'packages/server/dist/bin/wardd.js');
const url = `https://localhost:${port}`;
const tlsDir = path.join(dataDir, 'tls');
const configPath = path.join(dataDir, 'server.toml');
const caPath = path.join(tlsDir, 'ca.pem');

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
}

mkdirSync(dataDir, { recursive: true, mode: 0o700 });
if (!existsSync(caPath)) {
  console.log('Generating a demo CA and server certificate (first start) ...');
  run(process.execPath, [wardd, 'cert-generate', '--out', tlsDir, '--domain', 'localhost']);
}
if (!existsSync(configPath)) {
  writeFileSync(
    configPath,
    [
      '# Demo configuration written by `npm run demo`. Every key: docs/server-config.md',
      `bindaddress = "127.0.0.1:${port}"`,
      'db_path = "ward.db"',
      'tls_chain = "tls/cert.pem"',
      'tls_key = "tls/key.pem"',
      'domain = "localhost"',
      `origin = "${url}"`,
      'log_level = "info"',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

// Every process the demo starts (wardd, ward-unixd). Stopping waits for each to exit (SIGKILL
// after 5 s), so the demo never leaves a daemon behind.
const children = [];
const STOP_GRACE_MS = 5000;
function stopAll(code = 0) {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGTERM');
  const force = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), STOP_GRACE_MS);
  const exited = running.map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', resolve))));
  Promise.all(exited).then(() => {
    clearTimeout(force);
    process.exit(code);
  });
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const server = spawn(process.execPath, [wardd, 'server', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
children.push(server);
const serverLog = [];
server.stderr.on('data', (d) => serverLog.push(String(d)));
server.on('exit', (code) => {
  if (code !== 0 && code !== null) {
    console.error(`wardd exited with status ${code}:\n${serverLog.join('').split('\n').slice(-15).join('\n')}`);
    stopAll(1);
  }
});

async function waitHealthy() {
  for (let i = 0; i < 100; i++) {
    try {
      run(process.execPath, [wardd, 'healthcheck', '-c', configPath, '--timeout', '1'], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`wardd did not become healthy on ${url}`);
}

function ensureKey() {
  const keyFile = path.join(dataDir, 'demo_ed25519');
  if (!existsSync(keyFile)) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'demo@ward-demo', '-f', keyFile]);
  return { keyFile, publicKey: readFileSync(`${keyFile}.pub`, 'utf8').trim() };
}

async function provision(password) {
  const client = new WardClient({ url, caPath });
  const login = await client.call('auth_login', { body: { name: 'idm_admin', password } });
  client.token = login.token;
  const ignoreExisting = async (p) => {
    try {
      await p;
    } catch (e) {
      if (!['duplicate_name', 'duplicate_ssh_key'].includes(e.code)) throw e;
    }
  };
  await ignoreExisting(client.call('group_create', { body: { name: 'demo_staff', description: 'everyone in the demo' } }));
  await ignoreExisting(client.call('group_create', { body: { name: 'demo_devs', description: 'developers; may log in to hosts' } }));
  await client.call('group_posix_set', { params: { id: 'demo_devs' }, body: {} });
  await client.call('group_posix_set', { params: { id: 'demo_staff' }, body: {} });
  await client.call('group_members_add', { params: { id: 'demo_staff' }, body: { members: ['demo_devs'] } });
  await ignoreExisting(client.call('person_create', { body: { name: 'demo', displayname: 'Demo User', mail: ['demo@localhost'] } }));
  await client.call('person_posix_set', { params: { id: 'demo' }, body: { shell: '/bin/bash' } });
  await client.call('group_members_add', { params: { id: 'demo_devs' }, body: { members: ['demo'] } });
  const { keyFile, publicKey } = ensureKey();
  await ignoreExisting(client.call('person_ssh_add', { params: { id: 'demo' }, body: { tag: 'laptop', key: publicKey } }));
  const unixPassword = `demo-${Math.random().toString(36).slice(2, 10)}-${Math.random().toString(36).slice(2, 10)}`;
  await client.call('person_unix_password_set', { params: { id: 'demo' }, body: { password: unixPassword } });
  const posix = await client.call('person_posix_get', { params: { id: 'demo' } });
  client.close();
  return { keyFile, unixPassword, posix };
}

try {
  await waitHealthy();
  const recovered = JSON.parse(run(process.execPath, [wardd, 'recover-account', 'idm_admin', '-c', configPath, '-o', 'json']));
  const demo = await provision(recovered.password);
  const host = await startHostDemo({ root, dataDir, url, caPath, children, unixPassword: demo.unixPassword });
  const ward = 'npx ward';
  console.log(`
Ward demo is running (IdP on ${url}, data in ${dataDir}).

Log in with the admin CLI in another terminal, from ${root}:

  export WARD_URL=${url}
  export WARD_CA_PATH=${caPath}
  ${ward} login -D idm_admin          # password: ${recovered.password}
  ${ward} person get demo
  ${ward} person posix show demo -o json
  ${ward} group list-members demo_staff

The demo person "demo" (uid ${demo.posix.uidnumber}) is in the POSIX group demo_devs, nested in demo_staff;
its SSH private key is ${demo.keyFile}; its unix password is ${demo.unixPassword}.
${host.summary}
Stop with Ctrl-C.`);
} catch (e) {
  console.error(`demo: ${e.message}`);
  stopAll(1);
}
