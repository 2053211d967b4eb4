/**
 * Signing keys and protocol state across restarts and rotations, against a running wardd:
 * keys, sessions, grants and refresh tokens live in SQLite, so after a restart the JWKS has the
 * same kids, an ID token issued before still verifies and a refresh token still works; after
 * `ward system oauth2 rotate-keys` new tokens carry the new kid while tokens signed before stay
 * verifiable with the published JWKS until they expire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { FormAgent, startTestServer } from '@ward/server/testing';
import { APP_ORIGIN, REDIRECT, authRequest, client, exchange, person, relyingParty, ssoOn, type Sso } from './support.js';

const PASSWORD = 'harbour tulip saffron 31';
let sso: Sso;
let config: client.Configuration;
const agent = () => new FormAgent(sso.http);

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await sso.http.fetch(`${sso.srv.origin}/oauth2/jwks`)).json()) as JSONWebKeySet;
}

async function verify(idToken: string) {
  return jwtVerify(idToken, createLocalJWKSet(await jwks()), { issuer: sso.srv.origin, audience: 'grafana', clockTolerance: 5 });
}

async function signIn(browser: FormAgent) {
  const req = await authRequest(config);
  const page = await browser.authorize(req.url.href, { name: 'alice', password: PASSWORD, consent: 'allow' });
  return exchange(config, page.location!, req);
}

beforeAll(async () => {
  sso = await ssoOn(await startTestServer());
  await person(sso, 'alice', PASSWORD, ['grafana_users']);
  await sso.cli.oauth2('create', 'grafana', 'Grafana', `${APP_ORIGIN}/`);
  await sso.cli.oauth2('add-redirect-url', 'grafana', REDIRECT);
  await sso.cli.oauth2('update-scope-map', 'grafana', 'grafana_users', 'openid', 'profile');
  config = await relyingParty(sso, 'grafana', (await sso.cli.oauth2('show-basic-secret', 'grafana')).trim());
}, 90_000);

afterAll(async () => {
  await sso?.close();
});

describe('across a restart', () => {
  it('keeps the keys, the tokens, the grant and the sign-in', async () => {
    const browser = agent();
    const before = await signIn(browser);
    const kids = (await jwks()).keys.map((k) => k.kid).sort();
    expect(kids).toHaveLength(2); // one ES256, one RS256

    await sso.srv.restart();

    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual(kids);
    const discovery = (await (await sso.http.fetch(`${sso.srv.origin}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    expect(discovery.jwks_uri).toBe(`${sso.srv.origin}/oauth2/jwks`);
    expect((await verify(before.id_token!)).payload.preferred_username).toBe('alice');
    const refreshed = await client.refreshTokenGrant(config, before.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(before.claims()!.sub);
    // The IdP sign-in survived too: straight back to the application, no sign-in page.
    const req = await authRequest(config);
    const page = await browser.walk('GET', req.url.href);
    expect(page.location).toMatch(/^https:\/\/app\.example\.test\/oauth\/callback\?code=/);
  });
});

describe('key rotation', () => {
  it('signs new tokens with new keys while old tokens stay verifiable', async () => {
    const browser = agent();
    const old = await signIn(browser);
    const oldKid = decodeProtectedHeader(old.id_token!).kid;

    const out = await sso.cli.oauth2('rotate-keys');
    expect(out).toContain('rotated');
    const listed = await sso.cli.oauth2('list-signing-keys');
    expect(listed.match(/\bactive\b/g)).toHaveLength(2);
    expect(listed.match(/\bretired\b/g)).toHaveLength(2);
    expect(listed).toContain(`${oldKid}`);

    const keys = (await jwks()).keys;
    expect(keys).toHaveLength(4);
    expect(keys.find((k) => k.kid === oldKid)?.key_ops).toEqual(['verify']);
    expect((await verify(old.id_token!)).payload.preferred_username).toBe('alice');

    const fresh = await signIn(agent());
    const freshKid = decodeProtectedHeader(fresh.id_token!).kid;
    expect(freshKid).not.toBe(oldKid);
    expect(keys.find((k) => k.kid === freshKid)?.key_ops).toBeUndefined();
    await verify(fresh.id_token!);
    // A refresh after the rotation gets an ID token from the new key.
    const refreshed = await client.refreshTokenGrant(config, old.refresh_token!);
    expect(decodeProtectedHeader(refreshed.id_token!).kid).toBe(freshKid);

    await sso.srv.restart();
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual(keys.map((k) => k.kid).sort());
    await verify(old.id_token!);
  });
});
