/**
 * Single sign-on against hostile or careless configuration, through the real protocol and the
 * admin CLI: claim names that are also names of JavaScript object properties, codes and tokens
 * never stored as themselves (a copy of the database hands out nothing), and the URLs a client
 * may register (no plain http outside loopback for the landing page, which is also where a
 * sign-out may return to; no wildcard hosts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormAgent } from '@ward/server/testing';
import { APP_ORIGIN, REDIRECT, authRequest, client, exchange, person, relyingParty, ssoOn, type Sso } from './support.js';

const PASSWORD = 'copper falcon ribbon 77';
let sso: Sso;
let app: client.Configuration;
const o = (...a: string[]) => sso.cli.oauth2(...a);

beforeAll(async () => {
  const { startTestServer } = await import('@ward/server/testing');
  sso = await ssoOn(await startTestServer());
  await person(sso, 'alice', PASSWORD, ['app_users']);
  await o('create', 'odd', 'Odd claims', `${APP_ORIGIN}/`);
  await o('add-redirect-url', 'odd', REDIRECT);
  await o('update-scope-map', 'odd', 'app_users', 'openid profile email');
  await o('update-claim-map', 'odd', 'team', 'app_users', 'blue');
  app = await relyingParty(sso, 'odd', (await o('show-basic-secret', 'odd')).trim());
}, 120_000);
afterAll(async () => {
  await sso?.close();
});

async function tokensFor(name: string) {
  const req = await authRequest(app, { scope: 'openid profile email' });
  const page = await new FormAgent(sso.http).authorize(req.url.href, { name, password: PASSWORD, consent: 'allow' });
  expect(page.location, page.text.slice(0, 400)).toMatch(/^https:\/\/app\.example\.test\/oauth\/callback\?code=/);
  return { code: new URL(page.location!).searchParams.get('code')!, tokens: await exchange(app, page.location!, req) };
}

describe('claims named like object properties', () => {
  it('are refused with a clear answer, and one stored by an older Ward is left out instead of failing the sign-in', async () => {
    for (const claim of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await expect(o('update-claim-map', 'odd', claim, 'app_users', 'x')).rejects.toThrow(new RegExp(`"${claim}" is the name of a property every JavaScript object has`));
    }
    const refused = await sso.admin.call('oauth2_claim_map_set', { params: { id: 'odd', claim: 'constructor', group: 'app_users' }, body: { values: ['x'] } }).catch((e: Error) => e.message);
    expect(refused).toMatch(/"constructor" is the name of a property/);
    // What an older Ward accepted: a claim map named constructor.
    const db = (sso.srv.directory as unknown as { db: { prepare(sql: string): { run(...a: unknown[]): unknown } } }).db;
    db.prepare("INSERT INTO oauth2_claim_maps (client_uuid, claim, group_uuid, claim_values) SELECT c.uuid, 'constructor', e.uuid, '[\"x\"]' FROM oauth2_clients c, entries e WHERE c.name = 'odd' AND e.name = 'app_users'").run();
    const { tokens } = await tokensFor('alice');
    expect(tokens.claims()).toMatchObject({ preferred_username: 'alice', team: ['blue'] });
    expect(Object.hasOwn(tokens.claims()!, 'constructor')).toBe(false);
  });
});

describe('codes and tokens', () => {
  it('are stored as hashes only: the database holds no code, access or refresh token, yet they all work', async () => {
    const { code, tokens } = await tokensFor('alice');
    const db = (sso.srv.directory as unknown as { db: { prepare(sql: string): { all(): Array<{ model: string; id: string; payload: string }> } } }).db;
    const rows = db.prepare('SELECT model, id, payload FROM oauth2_state').all();
    const dump = JSON.stringify(rows);
    for (const secret of [code, tokens.access_token, tokens.refresh_token!]) expect(dump).not.toContain(secret);
    expect(rows.some((r) => r.model === 'AuthorizationCode')).toBe(true);
    // They still work: userinfo with the access token, a refresh with the refresh token.
    expect((await client.fetchUserInfo(app, tokens.access_token, client.skipSubjectCheck)).preferred_username).toBe('alice');
    expect((await client.refreshTokenGrant(app, tokens.refresh_token!)).access_token).toEqual(expect.any(String));
  });
});

describe('client URLs', () => {
  /** The server's own answer (the CLI checks first with the same rules). */
  async function serverRefuses(route: string, params: Record<string, string>, body: Record<string, unknown>): Promise<string> {
    try {
      await sso.admin.call(route as never, { params, body } as never);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`${route} was accepted`);
  }

  it('refuse a plain http landing page (where sign-outs return) outside loopback, and wildcard hosts', async () => {
    await expect(o('create', 'plain', 'Plain', 'http://app.example.test/')).rejects.toThrow(/landing URL must be an https URL/);
    await expect(o('set-landing-url', 'odd', 'http://app.example.test/')).rejects.toThrow(/landing URL must be an https URL/);
    await expect(o('add-redirect-url', 'odd', 'https://*.example.test/cb')).rejects.toThrow(/must not contain "\*"/);
    expect(await serverRefuses('oauth2_create', {}, { name: 'plain', displayname: 'Plain', landing_url: 'http://app.example.test/', public: false })).toMatch(/landing URL must be an https URL/);
    expect(await serverRefuses('oauth2_update', { id: 'odd' }, { landing_url: 'http://app.example.test/' })).toMatch(/landing URL must be an https URL/);
    expect(await serverRefuses('oauth2_redirect_url_add', { id: 'odd' }, { url: 'https://*.example.test/cb' })).toMatch(/must not contain "\*"/);
    expect(await serverRefuses('oauth2_create', {}, { name: 'star', displayname: 'Star', landing_url: 'https://*.example.test/', public: false })).toMatch(/must not contain "\*"/);
    // A loopback landing page (an application run on the same machine) stays possible.
    expect(await o('create', 'devapp', 'Dev app', 'http://localhost:8080/')).toMatch(/devapp/);
  });
});
