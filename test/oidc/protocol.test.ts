/**
 * The OpenID Connect protocol of a running wardd, checked with openid-client as the relying party
 * and, for the person's side, FormAgent: the real sign-in and consent pages driven over HTTPS the
 * way a browser without JavaScript does (the browser suite covers the same pages in Chromium).
 * Clients are registered with the `ward` CLI as an administrator would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { FormAgent, rawRequest, softAuthenticator, startTestServer, type Page } from '@ward/server/testing';
import { APP_ORIGIN, REDIRECT, authRequest, client, exchange, person, relyingParty, ssoOn, type AuthRequest, type Sso } from './support.js';

const PASSWORD = 'copper falcon ribbon 77';
let sso: Sso;
let grafana: client.Configuration;
let secret: string;

/** The OAuth2 error code of an openid-client failure (a body error, or a WWW-Authenticate challenge). */
function oauthError(e: unknown): string | undefined {
  const err = e as { error?: string; cause?: Array<{ parameters?: { error?: string } }> };
  return err.error ?? err.cause?.[0]?.parameters?.error;
}

async function refused(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return oauthError(e) ?? String(e);
  }
  throw new Error('the request was accepted');
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await sso.http.fetch(`${sso.srv.origin}/oauth2/jwks`)).json()) as JSONWebKeySet;
}

/** Sign in as `name` through the forms and agree; returns where the browser ended. */
async function signIn(req: AuthRequest, name: string, agent = new FormAgent(sso.http)): Promise<Page> {
  return agent.authorize(req.url.href, { name, password: PASSWORD, consent: 'allow' });
}

async function tokensFor(config: client.Configuration, name: string, params: Record<string, string> = {}) {
  const req = await authRequest(config, params);
  const page = await signIn(req, name);
  expect(page.location, page.text.slice(0, 400)).toMatch(/^https:\/\/app\.example\.test\/oauth\/callback\?code=/);
  return exchange(config, page.location!, req);
}

beforeAll(async () => {
  sso = await ssoOn(await startTestServer());
  await person(sso, 'alice', PASSWORD, ['grafana_users', 'ops']);
  await person(sso, 'bob', PASSWORD, ['staff']);
  await person(sso, 'carol', PASSWORD, ['contractors']);
  // Nesting: ops sits in admins_all, which the claim map names.
  await sso.admin.call('group_create', { body: { name: 'admins_all' } });
  await sso.admin.call('group_members_add', { params: { id: 'admins_all' }, body: { members: ['ops'] } });
  await sso.admin.call('group_members_add', { params: { id: 'grafana_users' }, body: { members: ['contractors'] } });

  const o = (...a: string[]) => sso.cli.oauth2(...a);
  await o('create', 'grafana', 'Grafana', `${APP_ORIGIN}/`);
  await o('add-redirect-url', 'grafana', REDIRECT);
  await o('update-scope-map', 'grafana', 'grafana_users', 'openid profile email');
  await o('update-sup-scope-map', 'grafana', 'ops', 'groups');
  await o('update-claim-map', 'grafana', 'roles', 'grafana_users', 'viewer');
  await o('update-claim-map', 'grafana', 'roles', 'admins_all', 'admin', 'viewer');
  await o('update-claim-map-join', 'grafana', 'roles', 'csv');
  await o('update-claim-map', 'grafana', 'org', 'admins_all', '{"name":"Ops","level":3}');
  secret = (await o('show-basic-secret', 'grafana')).trim();
  grafana = await relyingParty(sso, 'grafana', secret);

  await o('create-public', 'spa', 'Single page app', `${APP_ORIGIN}/spa`);
  await o('add-redirect-url', 'spa', REDIRECT);
  await o('update-scope-map', 'spa', 'grafana_users', 'openid', 'profile');

  await o('create', 'legacy', 'Legacy app', `${APP_ORIGIN}/legacy`);
  await o('add-redirect-url', 'legacy', REDIRECT);
  await o('update-scope-map', 'legacy', 'grafana_users', 'openid', 'profile');
  await o('set-id-token-alg', 'legacy', 'RS256');
}, 120_000);

afterAll(async () => {
  await sso?.close();
});

describe('authorization code with PKCE, confidential client (client_secret_basic)', () => {
  let tokens: Awaited<ReturnType<typeof exchange>>;

  it('issues an ES256 ID token that verifies against the JWKS and holds the mapped claims (union over nested groups)', async () => {
    tokens = await tokensFor(grafana, 'alice', { scope: 'openid profile email groups' });
    const header = decodeProtectedHeader(tokens.id_token!);
    expect(header.alg).toBe('ES256');
    const { payload } = await jwtVerify(tokens.id_token!, createLocalJWKSet(await jwks()), { issuer: sso.srv.origin, audience: 'grafana' });
    expect(payload).toMatchObject({
      preferred_username: 'alice',
      email: 'alice@example.test',
      email_verified: true,
      // Values in group-name order: admins_all (admin, viewer), then grafana_users (viewer).
      roles: 'admin,viewer',
      org: { name: 'Ops', level: 3 },
      acr: 'urn:ward:acr:password',
      amr: ['pwd'],
    });
    expect(typeof payload.auth_time).toBe('number');
    // groups came from the supplementary scope map of ops (alice is in ops).
    expect(payload.groups).toEqual(expect.arrayContaining(['grafana_users', 'ops', 'admins_all']));
    expect(tokens.scope!.split(' ').sort()).toEqual(['email', 'groups', 'openid', 'profile']);
  });

  it('answers userinfo with the same claims', async () => {
    const claims = tokens.claims()!;
    const userinfo = await client.fetchUserInfo(grafana, tokens.access_token, claims.sub);
    for (const k of ['sub', 'name', 'preferred_username', 'email', 'email_verified', 'groups', 'roles', 'org']) expect(userinfo[k]).toEqual(claims[k]);
  });

  it('rotates refresh tokens: the old one is refused, and its reuse ends the whole grant', async () => {
    const first = await client.refreshTokenGrant(grafana, tokens.refresh_token!);
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    expect(first.claims()!.sub).toBe(tokens.claims()!.sub);
    await expect(client.refreshTokenGrant(grafana, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reuse of a rotated token is treated as theft: the newer token dies with the grant.
    await expect(client.refreshTokenGrant(grafana, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes a token; introspection then says inactive', async () => {
    const t = await tokensFor(grafana, 'alice');
    expect((await client.tokenIntrospection(grafana, t.access_token)).active).toBe(true);
    await client.tokenRevocation(grafana, t.access_token);
    expect((await client.tokenIntrospection(grafana, t.access_token)).active).toBe(false);
    await client.tokenRevocation(grafana, t.refresh_token!);
    await expect(client.refreshTokenGrant(grafana, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong client secret; accepts the secret in the body too (client_secret_post)', async () => {
    const req = await authRequest(grafana);
    const page = await signIn(req, 'alice');
    const wrong = await relyingParty(sso, 'grafana', 'not-the-secret');
    expect(await refused(exchange(wrong, page.location!, req))).toBe('invalid_client');
    // Applications that send the secret as a form field (client_secret_post) work as well.
    const post = await client.discovery(new URL(sso.srv.origin), 'grafana', secret, client.ClientSecretPost(secret), { [client.customFetch]: sso.http.fetch });
    post[client.customFetch] = sso.http.fetch;
    expect((await exchange(post, page.location!, req)).claims()!.preferred_username).toBe('alice');
  });

  it('gives a confidential client tokens of its own (client credentials)', async () => {
    const t = await client.clientCredentialsGrant(grafana);
    expect(t.token_type.toLowerCase()).toBe('bearer');
    expect((await client.tokenIntrospection(grafana, t.access_token)).active).toBe(true);
  });

  it('signs with RS256 for a client configured so', async () => {
    const legacy = await relyingParty(sso, 'legacy', (await sso.cli.oauth2('show-basic-secret', 'legacy')).trim());
    const t = await tokensFor(legacy, 'alice', { scope: 'openid profile' });
    expect(decodeProtectedHeader(t.id_token!).alg).toBe('RS256');
    expect(t.claims()!.preferred_username).toBe('alice');
  });
});

describe('consent', () => {
  it('is asked once, and again when the application asks for more', async () => {
    const agent = new FormAgent(sso.http);
    const ask = async (scope: string) => agent.authorize((await authRequest(grafana, { scope })).url.href, { name: 'carol', password: PASSWORD });
    const first = await ask('openid profile');
    expect(first.text).toContain('Allow Grafana?');
    expect(first.text).not.toContain('(email)');
    const allowed = await agent.authorize((await authRequest(grafana, { scope: 'openid profile' })).url.href, { name: 'carol', password: PASSWORD, consent: 'allow' });
    expect(allowed.location).toMatch(/code=/);
    expect((await ask('openid profile')).location).toMatch(/code=/);
    const more = await ask('openid profile email');
    expect(more.text).toContain('Allow Grafana?');
    expect(more.text).toContain('(email)');
    // A scope carol is not entitled to (groups: only ops has it) is left out without asking.
    const req = await authRequest(grafana, { scope: 'openid profile groups' });
    const page = await agent.authorize(req.url.href, { name: 'carol', password: PASSWORD });
    const t = await exchange(grafana, page.location!, req);
    expect(t.scope!.split(' ').sort()).toEqual(['openid', 'profile']);
    expect(t.claims()!.groups).toBeUndefined();
  });

  it('a denial sends access_denied to the application', async () => {
    await person(sso, 'erin', PASSWORD, ['grafana_users']);
    const req = await authRequest(grafana, { scope: 'openid email' });
    const agent = new FormAgent(sso.http);
    const page = await agent.authorize(req.url.href, { name: 'erin', password: PASSWORD, consent: 'deny' });
    expect(new URL(page.location!).searchParams.get('error')).toBe('access_denied');
  });
});

describe('refusals', () => {
  it('a person outside every scope-mapped group gets "access denied" and no code', async () => {
    const req = await authRequest(grafana);
    const page = await new FormAgent(sso.http).authorize(req.url.href, { name: 'bob', password: PASSWORD, consent: 'allow' });
    expect(page.status).toBe(403);
    expect(page.text).toContain('Access denied');
    expect(page.location).toBeUndefined();
  });

  it('with prompt=none the application hears access_denied at once', async () => {
    const agent = new FormAgent(sso.http);
    await agent.authorize((await authRequest(grafana)).url.href, { name: 'bob', password: PASSWORD });
    const page = await agent.walk('GET', (await authRequest(grafana, { prompt: 'none' })).url.href);
    expect(new URL(page.location!).searchParams.get('error')).toBe('access_denied');
  });

  it('refuses a redirect URI that is not registered exactly, without redirecting', async () => {
    for (const redirect_uri of [`${REDIRECT}/x`, `${REDIRECT}?a=1`, 'https://evil.example/oauth/callback']) {
      const page = await new FormAgent(sso.http).walk('GET', (await authRequest(grafana, { redirect_uri })).url.href);
      expect(page.status).toBe(400);
      expect(page.location).toBeUndefined();
      expect(page.text).toContain('redirect_uri');
    }
  });

  it('refuses a public client without PKCE', async () => {
    const spa = await relyingParty(sso, 'spa');
    const url = client.buildAuthorizationUrl(spa, { redirect_uri: REDIRECT, scope: 'openid', state: client.randomState() });
    const page = await new FormAgent(sso.http).walk('GET', url.href);
    const back = new URL(page.location!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/i);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('a public client with PKCE works, and cannot use client credentials', async () => {
    const spa = await relyingParty(sso, 'spa');
    const t = await tokensFor(spa, 'alice', { scope: 'openid profile' });
    expect(t.claims()!.preferred_username).toBe('alice');
    await expect(client.clientCredentialsGrant(spa)).rejects.toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  it('ends refresh, userinfo and introspection when the person leaves the application\u2019s groups', async () => {
    await person(sso, 'dave', PASSWORD, ['grafana_users']);
    const t = await tokensFor(grafana, 'dave');
    expect((await client.tokenIntrospection(grafana, t.access_token)).active).toBe(true);
    await sso.admin.call('group_members_remove', { params: { id: 'grafana_users' }, body: { members: ['dave'] } });
    expect((await client.tokenIntrospection(grafana, t.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(grafana, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(grafana, t.access_token, t.claims()!.sub)).rejects.toThrow();
  });
});

describe('sessions', () => {
  it('prompt=login asks the signed-in person to sign in again', async () => {
    const agent = new FormAgent(sso.http);
    await signIn(await authRequest(grafana), 'alice', agent);
    const page = await agent.walk('GET', (await authRequest(grafana, { prompt: 'login' })).url.href);
    expect(new URL(page.url).pathname).toBe('/ui/login');
    expect(page.text).toContain('The application asks you to confirm it is you');
  });

  it('a passkey sign-in reaches the application as amr hwk and acr passkey', async () => {
    await person(sso, 'pia', PASSWORD, ['grafana_users']);
    const authn = softAuthenticator({ origin: sso.srv.origin });
    const cu = sso.srv.app!.credentialUpdates;
    const { token: reset } = await sso.admin.call<{ token: string }>('person_credential_reset_token', { params: { id: 'pia' }, body: {} });
    const { id } = cu.beginWithResetToken(reset);
    await cu.passkeyFinish(id, 'laptop', authn.register(await cu.passkeyInit(id)));
    await cu.commit(id);
    // The sign-in state machine over REST (as `ward login` and the page script use it); its session
    // token is what the web UI keeps in its cookie.
    const begun = await rawRequest(sso.srv, { method: 'POST', path: '/v1/auth/begin', json: {} });
    const done = await rawRequest(sso.srv, {
      method: 'POST', path: '/v1/auth/step', json: { session: begun.json.session, kind: 'passkey', response: authn.authenticate(begun.json.passkey_options) },
    });
    expect(done.json.state).toBe('success');
    const agent = new FormAgent(sso.http);
    agent.setCookie('__Host-ward_session', done.json.token as string);
    const req = await authRequest(grafana, { scope: 'openid profile' });
    const page = await agent.authorize(req.url.href, { name: 'pia', password: 'unused', consent: 'allow' });
    const claims = (await exchange(grafana, page.location!, req)).claims()!;
    expect(claims).toMatchObject({ amr: ['hwk', 'user', 'mfa'], acr: 'urn:ward:acr:passkey', preferred_username: 'pia' });
  });

  it('RP-initiated logout signs the person out of Ward too', async () => {
    const agent = new FormAgent(sso.http);
    const req = await authRequest(grafana);
    const t = await exchange(grafana, (await signIn(req, 'alice', agent)).location!, req);
    expect(agent.cookie('__Host-ward_session')).toBeDefined();
    const end = client.buildEndSessionUrl(grafana, { id_token_hint: t.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/`, state: 'bye' });
    const confirm = await agent.walk('GET', end.href);
    expect(confirm.text).toContain('Sign out?');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)![1]!;
    const done = await agent.walk('POST', '/oauth2/logout/confirm', { xsrf, logout: 'yes' });
    expect(done.location).toBe(`${APP_ORIGIN}/?state=bye`);
    expect(agent.cookie('__Host-ward_session')).toBeUndefined();
    // Signed out everywhere: the next sign-in to the application needs the password again.
    const again = await agent.walk('GET', (await authRequest(grafana)).url.href);
    expect(new URL(again.url).pathname).toBe('/ui/login');
  });
});
