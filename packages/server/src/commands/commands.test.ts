/**
 * The `wardd` subcommands as an administrator runs them: real processes of the built executable
 * (`node dist/bin/wardd.js ...`) against real servers, files and databases.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../db-lock.js';
import { login, rawRequest, sigtermWhenFileAppears, startTestServer, warddBin, type TestServer } from '../testing/index.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function wardd(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [warddBin(), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A failure is one line on stderr starting with `wardd: `, and a non-zero exit. */
function expectFailure(r: Result, reason: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^wardd: /);
  expect(lines[0]).toMatch(reason);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'ward-cmd-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('wardd cert-generate', () => {
  const out = path.join(scratch, 'tls');

  it('writes a CA and a server chain signed by it, the key private', async () => {
    const r = await wardd('cert-generate', '--out', out, '--domain', 'idm.example.test', '--ip', '127.0.0.1', '--ip', '192.0.2.7');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    expect(statSync(path.join(out, 'key.pem')).mode & 0o777).toBe(0o600);
    const ca = new X509Certificate(readFileSync(path.join(out, 'ca.pem')));
    const chain = readFileSync(path.join(out, 'cert.pem'), 'utf8');
    const leaf = new X509Certificate(chain);
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(leaf.subjectAltName).toContain('DNS:idm.example.test');
    expect(leaf.subjectAltName).toContain('DNS:localhost');
    expect(leaf.subjectAltName).toContain('IP Address:192.0.2.7');
    expect(leaf.checkHost('idm.example.test')).toBe('idm.example.test');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
  });

  it('refuses to overwrite without --force, and replaces with it', async () => {
    const before = readFileSync(path.join(out, 'key.pem'), 'utf8');
    expectFailure(await wardd('cert-generate', '--out', out), /already exist.*--force/);
    expect(readFileSync(path.join(out, 'key.pem'), 'utf8')).toBe(before);
    const r = await wardd('cert-generate', '--out', out, '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(out, 'key.pem'), 'utf8')).not.toBe(before);
  });

  it('refuses bad names and addresses', async () => {
    expectFailure(await wardd('cert-generate', '--out', path.join(scratch, 'x'), '--domain', 'Bad Domain'), /--domain/);
    expectFailure(await wardd('cert-generate', '--out', path.join(scratch, 'x'), '--ip', '999.1.1.1'), /--ip/);
    expect(existsSync(path.join(scratch, 'x'))).toBe(false);
  });
});

describe('wardd server', () => {
  it('refuses a bad configuration with one line naming the key', async () => {
    const cfg = path.join(scratch, 'bad.toml');
    writeFileSync(cfg, 'tls_chain = "c.pem"\ntls_key = "k.pem"\ndomain = "example.test"\nlisten = "127.0.0.1:1"\n');
    expectFailure(await wardd('server', '-c', cfg), /configuration: listen: unknown key/);
    writeFileSync(cfg, 'tls_chain = "missing.pem"\ntls_key = "k.pem"\ndomain = "example.test"\n');
    expectFailure(await wardd('server', '-c', cfg), /configuration: tls_chain: cannot read .*missing\.pem/);
    expectFailure(await wardd('server', '-c', path.join(scratch, 'absent.toml')), /cannot read the configuration file/);
  });

  it('runs, answers the healthcheck, and stops cleanly on SIGTERM', async () => {
    const srv = await startTestServer({ process: true });
    try {
      expect(srv.output()).toMatch(/wardd listening on https:\/\/127\.0\.0\.1:\d+/);
      expect(readFileSync(lockPath(srv.dbPath), 'utf8').split('\n')[0]).toBe(String(srv.pid));
      const healthy = await wardd('healthcheck', '-c', srv.configPath);
      expect(healthy.code, healthy.stderr).toBe(0);
      expect(healthy.stdout).toMatch(/^healthy: https:\/\/127\.0\.0\.1:\d+\/status \(ward .*, domain ward\.test\)/);

      // A second server on the same database is refused.
      expectFailure(await wardd('server', '-c', srv.configPath), new RegExp(`in use by wardd process ${srv.pid}`));

      await srv.stop();
      expect(srv.output()).toMatch(/stopping on SIGTERM/);
      expect(existsSync(lockPath(srv.dbPath))).toBe(false);
      expectFailure(await wardd('healthcheck', '-c', srv.configPath, '--timeout', '2'), /unhealthy: .*ECONNREFUSED/);
    } finally {
      await srv.close();
    }
  });
  it('stops cleanly on a SIGTERM that arrives while it starts', async () => {
    const srv = await startTestServer({ process: true });
    try {
      await srv.stop();
      // The lock file appears while the server is half-started (database locked, port not yet
      // open): it must finish starting, stop and release the lock.
      const lock = lockPath(srv.dbPath);
      const r = await sigtermWhenFileAppears([process.execPath, warddBin(), 'server', '-c', srv.configPath], lock);
      expect({ sent: r.sent, code: r.code, signal: r.signal }, r.stderr).toEqual({ sent: true, code: 0, signal: null });
      expect(existsSync(lock)).toBe(false);
    } finally {
      await srv.close();
    }
  });
});

describe('the database lock', () => {
  it('is taken over from a dead or reused pid, and not bypassed through a symlinked db_path', async () => {
    const srv = await startTestServer({ process: true });
    try {
      const live = srv.pid;
      await srv.stop();
      // After a crash and a reboot the lock names a pid that now belongs to another program
      // (pid 1 is always there): that is not a wardd on this database.
      writeFileSync(lockPath(srv.dbPath), '1\n');
      await srv.start();
      expect(srv.pid).not.toBe(live);
      // The same database through a symlink: the lock is on the real file, so it is refused.
      const link = path.join(scratch, 'linked.db');
      symlinkSync(srv.dbPath, link);
      const cfg = path.join(scratch, 'linked.toml');
      writeFileSync(cfg, readFileSync(srv.configPath, 'utf8').replace(/^db_path = .*$/m, `db_path = ${JSON.stringify(link)}`));
      expectFailure(await wardd('server', '-c', cfg), new RegExp(`in use by wardd process ${srv.pid}`));
    } finally {
      await srv.close();
    }
  });
});

describe('commands beside a running server', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ process: true });
  });
  afterAll(() => srv?.close());

  it('recover-account prints a working password, as text and as JSON', async () => {
    const json = await wardd('recover-account', 'idm_admin', '-c', srv.configPath, '-o', 'json');
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { name: string; password: string };
    expect(Object.keys(parsed).sort()).toEqual(['name', 'password']);
    expect(parsed.name).toBe('idm_admin');
    expect(parsed.password.length).toBeGreaterThanOrEqual(24);
    await expect(login(srv, 'idm_admin', parsed.password)).resolves.toEqual(expect.any(String));

    const text = await wardd('recover-account', 'admin', '-c', srv.configPath);
    expect(text.code, text.stderr).toBe(0);
    const password = /^new password for admin: (\S+)\n$/.exec(text.stdout)?.[1];
    expect(password).toBeDefined();
    await expect(login(srv, 'admin', password!)).resolves.toEqual(expect.any(String));
    // The old password of idm_admin stops working once a new one is set.
    await wardd('recover-account', 'idm_admin', '-c', srv.configPath);
    await expect(login(srv, 'idm_admin', parsed.password)).rejects.toThrow(/401/);
  });

  it('recover-account refuses other accounts', async () => {
    expectFailure(await wardd('recover-account', 'alice', '-c', srv.configPath), /'alice' is invalid .*Allowed choices are admin, idm_admin/);
    expectFailure(await wardd('recover-account', 'idm_admin', '-c', srv.configPath, '--bogus'), /unknown option '--bogus'/);
  });

  it('healthcheck takes --url and --ca, and fails on a stopped (SIGSTOP) server', async () => {
    const ok = await wardd('healthcheck', '--url', srv.url, '--ca', srv.caPath);
    expect(ok.code, ok.stderr).toBe(0);
    const wrongCa = await wardd('healthcheck', '--url', srv.url, '--ca', path.join(scratch, 'tls', 'ca.pem'));
    expectFailure(wrongCa, /unhealthy: .*(certificate|issuer)/i);
    process.kill(srv.pid, 'SIGSTOP');
    try {
      expectFailure(await wardd('healthcheck', '-c', srv.configPath, '--timeout', '1'), /unhealthy: .*no answer within 1000 ms/);
    } finally {
      process.kill(srv.pid, 'SIGCONT');
    }
    expect((await wardd('healthcheck', '-c', srv.configPath)).code).toBe(0);
  });

  it('backup while running, restore only when stopped, and the restored data is the backup', async () => {
    const admin = await login(srv, 'idm_admin', await srv.recover('idm_admin'));
    const create = (name: string) => rawRequest(srv, { method: 'POST', path: '/v1/person', token: admin, json: { name, displayname: name } });
    expect((await create('before_backup')).status).toBe(201);

    const file = path.join(scratch, 'ward.backup');
    const b = await wardd('backup', file, '-c', srv.configPath);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^backup written to .*ward\.backup \(\d+ bytes\)/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectFailure(await wardd('backup', file, '-c', srv.configPath), /already exists; use --force/);

    expect((await create('after_backup')).status).toBe(201);
    expectFailure(await wardd('restore', file, '-c', srv.configPath), /in use by wardd process/);
    expect((await rawRequest(srv, { path: '/v1/person/after_backup', token: admin })).status).toBe(200);

    const junk = path.join(scratch, 'junk.backup');
    writeFileSync(junk, 'this is not a database');
    await srv.stop();
    expectFailure(await wardd('restore', junk, '-c', srv.configPath), /not|invalid|valid/i);
    expectFailure(await wardd('restore', path.join(scratch, 'missing.backup'), '-c', srv.configPath), /does not exist/);

    const r = await wardd('restore', file, '-c', srv.configPath);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^restored .*ward\.backup into .*ward\.db; the replaced database was kept as /);
    await srv.start();
    const token = await login(srv, 'idm_admin', await srv.recover('idm_admin'));
    expect((await rawRequest(srv, { path: '/v1/person/before_backup', token })).status).toBe(200);
    expect((await rawRequest(srv, { path: '/v1/person/after_backup', token })).status).toBe(404);
  });
});
