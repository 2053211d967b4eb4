/**
 * The oidc-provider adapter and the signing keys on a real SQLite store: rows expire, consumption
 * is recorded, grants revoke their tokens, everything survives reopening; keys are created once,
 * rotated with the old ones kept verify-only for a day, then dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDirectory, type TestDirectory } from '../directory/test-support.js';
import { SqliteAdapter, sweepExpired } from './adapter.js';
import { RETIRED_KEY_LIFETIME_MS, SigningKeys } from './keys.js';
import { OAuth2Store } from './store.js';

let t: TestDirectory;
const noClients = () => undefined;

beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

describe('SqliteAdapter', () => {
  it('stores, finds, consumes, destroys and revokes by grant, across a reopen', async () => {
    const tokens = new SqliteAdapter('AccessToken', t.dir.db, noClients);
    await tokens.upsert('at1', { grantId: 'g1', accountId: 'a' }, 60);
    await tokens.upsert('at2', { grantId: 'g2' }, 60);
    expect(await tokens.find('at1')).toEqual({ grantId: 'g1', accountId: 'a' });
    await tokens.consume('at1');
    expect((await tokens.find('at1'))?.consumed).toEqual(expect.any(Number));

    const reopened = new SqliteAdapter('AccessToken', t.reopen().db, noClients);
    expect(await reopened.find('at2')).toEqual({ grantId: 'g2' });
    // Models do not see each other's rows.
    expect(await new SqliteAdapter('RefreshToken', t.dir.db, noClients).find('at2')).toBeUndefined();
    await reopened.revokeByGrantId('g1');
    expect(await reopened.find('at1')).toBeUndefined();
    await reopened.destroy('at2');
    expect(await reopened.find('at2')).toBeUndefined();
  });

  it('never returns expired rows, and the sweep deletes them', async () => {
    const sessions = new SqliteAdapter('Session', t.dir.db, noClients);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
    t.dir.db.prepare("UPDATE oauth2_state SET expires_at = 1 WHERE model = 'Session' AND uid = 'u1'").run();
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();
    expect(sweepExpired(t.dir.db)).toBe(1);
  });

  it('keys rows by the hash of the id and keeps no jti equal to it; finds rows an older Ward stored by plain id', async () => {
    const codes = new SqliteAdapter('AuthorizationCode', t.dir.db, noClients);
    await codes.upsert('secret-code', { jti: 'secret-code', grantId: 'g9' }, 60);
    expect(JSON.stringify(t.dir.db.prepare('SELECT * FROM oauth2_state').all())).not.toContain('secret-code');
    expect(await codes.find('secret-code')).toEqual({ jti: 'secret-code', grantId: 'g9' });
    await codes.consume('secret-code');
    expect(await codes.find('secret-code')).toMatchObject({ jti: 'secret-code', consumed: expect.any(Number) });
    t.dir.db.prepare("INSERT INTO oauth2_state (model, id, payload) VALUES ('AuthorizationCode', 'old-code', ?)").run(JSON.stringify({ jti: 'old-code' }));
    expect(await codes.find('old-code')).toEqual({ jti: 'old-code' });
    await codes.destroy('old-code');
    expect(await codes.find('old-code')).toBeUndefined();
  });

  it('answers the Client model from the registrations', async () => {
    const clients = new SqliteAdapter('Client', t.dir.db, (id) => (id === 'app' ? { client_id: 'app' } : undefined));
    expect(await clients.find('app')).toEqual({ client_id: 'app' });
    expect(await clients.find('other')).toBeUndefined();
  });
});

describe('SigningKeys', () => {
  it('makes one active ES256 and RS256 key once, rotates, and drops retired keys after a day', async () => {
    const store = new OAuth2Store(t.dir.db);
    const keys = new SigningKeys(store);
    await keys.ensure();
    await keys.ensure();
    const first = keys.list();
    expect(first.map((k) => [k.alg, k.state])).toEqual(expect.arrayContaining([['ES256', 'active'], ['RS256', 'active']]));
    expect(first).toHaveLength(2);
    expect(keys.jwks().every((k) => typeof k.d === 'string')).toBe(true);

    const now = Date.now();
    await keys.rotate(now);
    const jwks = keys.jwks(now);
    expect(jwks).toHaveLength(4);
    expect(jwks.slice(0, 2).every((k) => k.key_ops === undefined)).toBe(true); // active first: they sign
    expect(jwks.slice(2).map((k) => k.kid).sort()).toEqual(first.map((k) => k.kid).sort());
    expect(jwks.slice(2).every((k) => JSON.stringify(k.key_ops) === '["verify"]')).toBe(true);
    expect(keys.nextExpiry()).toBe(now + RETIRED_KEY_LIFETIME_MS);

    expect(new SigningKeys(new OAuth2Store(t.reopen().db)).jwks(now + RETIRED_KEY_LIFETIME_MS + 1)).toHaveLength(2);
  });
});
