/**
 * Credentials through the CLI: the token cache serving several logins, sessions, logout, API
 * tokens used through WARD_TOKEN, and secrets read from a no-echo prompt or standard input,
 * never from the command line and never printed (except the one-time API token).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardClient } from '@ward/client';
import { FAILURE_LINE, WardShell, runOnTerminal, startServer, type TestServer } from './harness.js';

let server: TestServer;
let sh: WardShell;
let idmPassword: string;
let adminPassword: string;

beforeAll(async () => {
  server = await startServer();
  sh = new WardShell(server);
  idmPassword = await server.recover('idm_admin');
  adminPassword = await server.recover('admin');
});

afterAll(async () => {
  await server?.close();
  sh?.cleanup();
});

function cachedTokens(shell: WardShell): Array<{ name: string; token: string; session_id: string }> {
  return (JSON.parse(readFileSync(shell.cachePath, 'utf8')) as { tokens: Array<{ name: string; token: string; session_id: string }> }).tokens;
}

describe('logins, the token cache and sessions', () => {
  it('keeps one login per account and picks by -D, WARD_NAME or the most recent', async () => {
    await sh.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: idmPassword } });
    // The password as the first line of standard input, as in `ward login < file`.
    await sh.ok(['login', '-D', 'admin'], { input: `${adminPassword}\nignored second line\n` });
    expect(cachedTokens(sh).map((t) => t.name).sort()).toEqual(['admin', 'idm_admin']);
    expect((await sh.json(['whoami'])).name).toBe('admin');
    expect((await sh.json(['-D', 'idm_admin', 'whoami'])).name).toBe('idm_admin');
    expect((await sh.json(['whoami'], { env: { WARD_NAME: 'idm_admin' } })).name).toBe('idm_admin');
    expect((await sh.json(['whoami', '-D', `idm_admin@${server.domain}`])).name).toBe('idm_admin');
    const none = await sh.run(['-D', 'nobody', 'whoami']);
    expect(none.code).toBe(3);
    // A new login of the same account replaces its cache entry.
    await sh.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: idmPassword } });
    expect(cachedTokens(sh)).toHaveLength(2);
  });

  it('lists the caller\u2019s sessions and marks the current one', async () => {
    const sessions = await sh.json(['-D', 'idm_admin', 'session', 'list']);
    const current = sessions.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0].id).toBe(cachedTokens(sh).find((t) => t.name === 'idm_admin')!.session_id);
    const text = await sh.ok(['-D', 'idm_admin', 'session', 'list']);
    expect(text).toMatch(new RegExp(`^${current[0].id} .*\\(current\\)$`, 'm'));
  });

  it('forgets a cached login that the server revoked, and says to log in again', async () => {
    const other = new WardShell(server);
    try {
      await other.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: idmPassword } });
      const mine = cachedTokens(sh).find((t) => t.name === 'idm_admin')!;
      expect(await other.ok(['session', 'destroy', mine.session_id])).toBe(`session ${mine.session_id}: destroyed\n`);
      const r = await sh.run(['-D', 'idm_admin', 'whoami']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(FAILURE_LINE);
      expect(r.stderr).toContain('is no longer valid; run "ward login -D idm_admin"');
      expect(cachedTokens(sh).map((t) => t.name)).toEqual(['admin']);
    } finally {
      other.cleanup();
    }
    await sh.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: idmPassword } });
  });
});

describe('API tokens of a service account', () => {
  let roToken: string;
  let rwToken: string;

  it('generates tokens, prints each once, and lists them without the secret', async () => {
    await sh.ok(['-D', 'idm_admin', 'service-account', 'create', 'backup-bot', 'Backup bot']);
    await sh.ok(['-D', 'admin', 'group', 'add-members', 'idm_people_admins', 'backup-bot']);
    const ro = await sh.json(['-D', 'idm_admin', 'service-account', 'api-token', 'generate', 'backup-bot', 'nightly read', '--expiry', '3600']);
    expect(ro).toMatchObject({ ok: true, changed: true, token: expect.any(String), entry: { label: 'nightly read', read_write: false } });
    const expires = Date.parse(ro.entry.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(3500_000);
    expect(expires).toBeLessThanOrEqual(3600_000);
    roToken = ro.token;

    const rw = await sh.run(['-D', 'idm_admin', 'service-account', 'api-token', 'generate', 'backup-bot', 'provisioning', '--rw']);
    expect(rw.code).toBe(0);
    expect(rw.stdout).toMatch(/^service account backup-bot: API token generated\n/);
    expect(rw.stdout).toMatch(/^access: +read-write$/m);
    expect(rw.stdout).toMatch(/^expires_at: +never$/m);
    expect(rw.stderr).toBe('ward: warning: this is the only time the token is shown; store it now\n');
    rwToken = /^token: +(\S+)$/m.exec(rw.stdout)![1]!;

    const list = await sh.run(['-D', 'idm_admin', 'service-account', 'api-token', 'list', 'backup-bot']);
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(list.stdout).toMatch(/read-only +expires \S+ +nightly read$/m);
    expect(list.stdout).toMatch(/read-write +no expiry +provisioning$/m);
    expect(list.stdout).not.toContain(roToken);
    expect(list.stdout).not.toContain(rwToken);
  });

  it('uses a token through WARD_TOKEN, read-only refused to write', async () => {
    const me = await sh.json(['whoami'], { env: { WARD_TOKEN: roToken } });
    expect(me).toMatchObject({ name: 'backup-bot', token_kind: 'api_token', read_write: false });
    const write = await sh.run(['person', 'create', 'dave', 'Dave'], { env: { WARD_TOKEN: roToken } });
    expect(write.code).toBe(5);
    expect(write.stderr).toMatch(/\(read_only_token\)\n$/);
    expect(await sh.ok(['person', 'create', 'dave', 'Dave'], { env: { WARD_TOKEN: rwToken } })).toBe('person dave: created\n');
    expect((await sh.json(['person', 'get', 'dave'], { env: { WARD_TOKEN: roToken } })).displayname).toBe('Dave');
  });

  it('destroys a token: it stops working at once', async () => {
    const tokens = await sh.json(['-D', 'idm_admin', 'service-account', 'api-token', 'list', 'backup-bot']);
    const ro = tokens.find((t: { label: string }) => t.label === 'nightly read');
    expect(await sh.ok(['-D', 'idm_admin', 'service-account', 'api-token', 'destroy', 'backup-bot', ro.id])).toBe(`API token ${ro.id}: destroyed\n`);
    const r = await sh.run(['whoami'], { env: { WARD_TOKEN: roToken } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^ward: the token in WARD_TOKEN was refused/);
  });

  it('refuses a forbidden change with exit 5', async () => {
    // backup-bot administers people, not groups.
    const r = await sh.run(['group', 'create', 'bots'], { env: { WARD_TOKEN: rwToken } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/\(forbidden\)\n$/);
  });
});

describe('secrets from a prompt or standard input', () => {
  const unixPassword = 'correct horse battery staple';
  let client: WardClient;

  beforeAll(async () => {
    client = new WardClient({ url: server.url, caPath: server.caPath });
    await sh.ok(['-D', 'idm_admin', 'person', 'create', 'erin', 'Erin']);
    await sh.ok(['-D', 'idm_admin', 'person', 'posix', 'set', 'erin']);
  });
  afterAll(() => client?.close());

  const check = (password: string) =>
    client.call<{ ok: boolean }>('unix_account_auth', { params: { id: 'erin' }, body: { password } }).then((r) => r.ok);

  it('sets a unix password read from standard input', async () => {
    const r = await sh.run(['-D', 'idm_admin', 'person', 'posix', 'set-password', 'erin'], { input: unixPassword + '\n' });
    expect(r).toEqual({ code: 0, stdout: 'person erin: unix password set\n', stderr: '' });
    expect(await check(unixPassword)).toBe(true);
    expect(await check('wrong')).toBe(false);
    expect(await sh.ok(['-D', 'idm_admin', 'person', 'get', 'erin'])).toMatch(/^unix_password: +set$/m);
    const empty = await sh.run(['-D', 'idm_admin', 'person', 'posix', 'set-password', 'erin'], { input: '' });
    expect(empty.code).toBe(2);
  });

  it('prompts twice without echo on a terminal and refuses two different entries', async () => {
    const args = ['-D', 'idm_admin', 'person', 'posix', 'set-password', 'erin'];
    const mismatch = await runOnTerminal(sh, args, [
      [/New unix password for erin: $/, 'first-secret'],
      [/Repeat the new unix password for erin: $/, 'other-secret'],
    ]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.transcript).toContain('differ; nothing was changed (bad_request)');
    expect(await check(unixPassword)).toBe(true);

    const same = await runOnTerminal(sh, args, [
      [/New unix password for erin: $/, 'terminal-secret'],
      [/Repeat the new unix password for erin: $/, 'terminal-secret'],
    ]);
    expect(same.code).toBe(0);
    expect(same.transcript).toContain('person erin: unix password set');
    expect(same.transcript).not.toContain('terminal-secret');
    expect(await check('terminal-secret')).toBe(true);
  });

  it('logs in with a password typed at a no-echo prompt', async () => {
    const other = new WardShell(server);
    try {
      const r = await runOnTerminal(other, ['-D', 'idm_admin', 'login'], [[/Password for idm_admin: $/, idmPassword]]);
      expect(r.code).toBe(0);
      expect(r.transcript).toContain('logged in to');
      expect(r.transcript).not.toContain(idmPassword);
    } finally {
      other.cleanup();
    }
  });
});

describe('logout', () => {
  it('ends the session on the server, removes it from the cache, and is a no-op the second time', async () => {
    const entry = cachedTokens(sh).find((t) => t.name === 'idm_admin')!;
    const r = await sh.run(['-D', 'idm_admin', 'logout']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^idm_admin@\S+ on https:\/\/127\.0\.0\.1:\d+: logged out\n$/);
    expect(cachedTokens(sh).map((t) => t.name)).toEqual(['admin']);
    const reuse = await sh.run(['whoami'], { env: { WARD_TOKEN: entry.token } });
    expect(reuse.code).toBe(3);
    const again = await sh.json(['-D', 'idm_admin', 'logout']);
    expect(again).toMatchObject({ ok: true, changed: false });
    const after = await sh.run(['-D', 'idm_admin', 'person', 'list']);
    expect(after.code).toBe(3);
    // The other login on this host is untouched.
    expect((await sh.json(['whoami'])).name).toBe('admin');
  });
});
