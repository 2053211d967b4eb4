/**
 * `ward system oauth2 ...` against a real wardd, run as the built CLI: registering a confidential
 * and a public client, redirect URLs, secrets, scope and claim maps, settings and key rotation;
 * every change idempotent ("unchanged" the second time), bad input refused before it is sent
 * (exit 2), and an identity administrator outside system_admins / idm_oauth2_admins forbidden
 * (exit 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_LINE, WardShell, startServer, type TestServer } from './harness.js';

let server: TestServer;
let sh: WardShell;
const o = (...args: string[]) => ['-D', 'admin', 'system', 'oauth2', ...args];

beforeAll(async () => {
  server = await startServer();
  sh = new WardShell(server);
  await sh.ok(['login', '-D', 'admin'], { env: { WARD_PASSWORD: await server.recover('admin') } });
  await sh.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: await server.recover('idm_admin') } });
  await sh.ok(['-D', 'admin', 'group', 'create', 'grafana_users']);
});

afterAll(async () => {
  await server?.close();
  sh?.cleanup();
});

describe('clients', () => {
  it('creates a confidential client once and shows where to go next', async () => {
    const first = await sh.ok(o('create', 'grafana', 'Grafana', 'https://grafana.example.com/'));
    expect(first).toMatch(/^oauth2 client grafana: created$/m);
    expect(first).toMatch(/^discovery_url: +https:\/\/.*\/\.well-known\/openid-configuration$/m);
    expect(await sh.ok(o('create', 'grafana', 'Grafana', 'https://grafana.example.com/'))).toMatch(/^oauth2 client grafana: unchanged$/m);
    const clash = await sh.run(o('create', 'grafana', 'Other', 'https://grafana.example.com/'));
    expect(clash.code).toBe(6);
    expect(clash.stderr).toMatch(FAILURE_LINE);
  });

  it('manages redirect URLs, exactly and idempotently', async () => {
    const url = 'https://grafana.example.com/login/generic_oauth';
    expect(await sh.ok(o('add-redirect-url', 'grafana', url))).toBe('oauth2 client grafana: redirect URL added\n');
    expect(await sh.ok(o('add-redirect-url', 'grafana', url))).toBe('oauth2 client grafana: unchanged\n');
    for (const bad of ['http://grafana.example.com/cb', 'https://grafana.example.com/cb#frag', 'not a url']) {
      const r = await sh.run(o('add-redirect-url', 'grafana', bad));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(FAILURE_LINE);
    }
    // Only the server knows the client is confidential: localhost is refused there.
    expect((await sh.run(o('add-redirect-url', 'grafana', 'http://localhost:8080/cb'))).code).toBe(2);
    await sh.ok(o('add-redirect-url', 'grafana', `${url}/extra`));
    expect(await sh.ok(o('remove-redirect-url', 'grafana', `${url}/extra`))).toBe('oauth2 client grafana: redirect URL removed\n');
    expect(await sh.ok(o('remove-redirect-url', 'grafana', `${url}/extra`))).toBe('oauth2 client grafana: unchanged\n');
    expect((await sh.json(o('get', 'grafana'))).redirect_urls).toEqual([url]);
  });

  it('shows and resets the client secret', async () => {
    const secret = (await sh.ok(o('show-basic-secret', 'grafana'))).trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const reset = await sh.json(o('reset-basic-secret', 'grafana'));
    expect(reset.client_id).toBe('grafana');
    expect(reset.client_secret).not.toBe(secret);
    expect((await sh.ok(o('show-basic-secret', 'grafana'))).trim()).toBe(reset.client_secret);
  });

  it('maps scopes and claims to groups', async () => {
    expect(await sh.ok(o('update-scope-map', 'grafana', 'grafana_users', 'openid', 'profile email'))).toMatch(/scope map of grafana_users set/);
    expect(await sh.ok(o('update-scope-map', 'grafana', 'grafana_users', 'openid', 'profile', 'email'))).toMatch(/unchanged/);
    await sh.ok(o('update-sup-scope-map', 'grafana', 'grafana_users', 'groups'));
    await sh.ok(o('update-claim-map', 'grafana', 'grafana_role', 'grafana_users', 'Editor'));
    await sh.ok(o('update-claim-map', 'grafana', 'org', 'grafana_users', '{"name":"Ops"}'));
    await sh.ok(o('update-claim-map-join', 'grafana', 'grafana_role', 'csv'));
    const text = await sh.ok(o('get', 'grafana'));
    expect(text).toMatch(/^scope_map: +grafana_users: openid profile email$/m);
    expect(text).toMatch(/^sup_scope_map: +grafana_users: groups$/m);
    expect(text).toMatch(/^claim_map: +grafana_role \(csv\) grafana_users: Editor$/m);
    expect((await sh.run(o('update-claim-map', 'grafana', 'org', 'grafana_users', '{oops'))).code).toBe(2);
    expect((await sh.run(o('update-claim-map', 'grafana', 'email', 'grafana_users', 'x'))).code).toBe(2);
    expect((await sh.run(o('update-claim-map-join', 'grafana', 'grafana_role', 'tsv'))).code).toBe(2);
    expect((await sh.run(o('update-scope-map', 'grafana', 'no_such_group', 'openid'))).code).toBe(4);
    expect(await sh.ok(o('delete-claim-map', 'grafana', 'org', 'grafana_users'))).toMatch(/removed/);
    expect(await sh.ok(o('delete-claim-map', 'grafana', 'org', 'grafana_users'))).toMatch(/unchanged/);
    expect(await sh.ok(o('delete-sup-scope-map', 'grafana', 'grafana_users'))).toMatch(/removed/);
  });

  it('changes settings: RS256, PKCE, localhost redirects for public clients only', async () => {
    expect(await sh.ok(o('set-id-token-alg', 'grafana', 'RS256'))).toMatch(/ID token algorithm set/);
    expect(await sh.ok(o('set-id-token-alg', 'grafana', 'RS256'))).toMatch(/unchanged/);
    expect((await sh.run(o('set-id-token-alg', 'grafana', 'HS256'))).code).toBe(2);
    expect((await sh.run(o('enable-localhost-redirects', 'grafana'))).code).toBe(6);
    await sh.ok(o('create-public', 'cli-app', 'A CLI', 'https://example.com/cli'));
    expect((await sh.run(o('add-redirect-url', 'cli-app', 'http://127.0.0.1/callback'))).code).toBe(2);
    await sh.ok(o('enable-localhost-redirects', 'cli-app'));
    await sh.ok(o('add-redirect-url', 'cli-app', 'http://127.0.0.1/callback'));
    expect((await sh.run(o('disable-pkce', 'cli-app'))).code).toBe(6);
    expect((await sh.run(o('show-basic-secret', 'cli-app'))).code).toBe(6);
    const list = await sh.ok(o('list'));
    expect(list).toMatch(/^cli-app +public +A CLI +https:\/\/example\.com\/cli$/m);
    expect(list).toMatch(/^grafana +confidential +Grafana/m);
  });

  it('rotates the signing keys', async () => {
    expect((await sh.json(o('list-signing-keys'))).map((k: { state: string }) => k.state)).toEqual(['active', 'active']);
    const rotated = await sh.json(o('rotate-keys'));
    expect(rotated.keys.map((k: { state: string }) => k.state).sort()).toEqual(['active', 'active', 'retired', 'retired']);
  });

  it('refuses an identity administrator outside system_admins and idm_oauth2_admins', async () => {
    for (const args of [['list'], ['get', 'grafana'], ['show-basic-secret', 'grafana'], ['create', 'x', 'X', 'https://x.example/'], ['rotate-keys']]) {
      const r = await sh.run(['-D', 'idm_admin', 'system', 'oauth2', ...args]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(FAILURE_LINE);
      expect(r.stderr).not.toContain('client_secret');
    }
  });

  it('deletes a client', async () => {
    expect(await sh.ok(o('delete', 'cli-app'))).toBe('oauth2 client cli-app: deleted\n');
    expect((await sh.run(o('delete', 'cli-app'))).code).toBe(4);
  });
});
