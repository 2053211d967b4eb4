/**
 * Client administration on a real store: who may manage clients (system_admins and
 * idm_oauth2_admins only, every other caller forbidden, read-only tokens never write), the
 * validation of every value (nothing is written when it fails), and idempotency.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode as code, openTestDirectory, type TestDirectory } from '../directory/test-support.js';
import { OAuth2Admin } from './admin.js';
import { SigningKeys } from './keys.js';
import { OAuth2Store } from './store.js';

let t: TestDirectory;
let admin: OAuth2Admin;
let store: OAuth2Store;

const app = { name: 'grafana', displayname: 'Grafana', landing_url: 'https://grafana.example.com/', public: false };

beforeEach(() => {
  t = openTestDirectory();
  store = new OAuth2Store(t.dir.db);
  admin = new OAuth2Admin(store, t.dir, new SigningKeys(store), 'https://idm.example.test');
  t.dir.createGroup(t.admin, { name: 'staff' });
});
afterEach(() => t.cleanup());

describe('who manages clients', () => {
  it('system_admins and idm_oauth2_admins do; idm_admins, people and anonymous do not', () => {
    expect(admin.create(t.admin, app).changed).toBe(true);
    const oauth2Admin = t.newAccount('olga', 'person');
    t.dir.addMembers(t.admin, 'idm_oauth2_admins', ['olga']);
    expect(admin.get(oauth2Admin, 'grafana').name).toBe('grafana');
    expect(code(() => admin.setScopeMap(oauth2Admin, 'grafana', 'staff', false, ['openid']))).toBe('none');

    const person = t.newAccount('pete', 'person');
    for (const actor of [t.idmAdmin, person]) {
      expect(code(() => admin.list(actor))).toBe('forbidden');
      expect(code(() => admin.get(actor, 'grafana'))).toBe('forbidden');
      expect(code(() => admin.get(actor, 'no-such-client'))).toBe('forbidden');
      expect(code(() => admin.basicSecret(actor, 'grafana'))).toBe('forbidden');
      expect(code(() => admin.create(actor, { ...app, name: 'other' }))).toBe('forbidden');
      expect(code(() => admin.addRedirectUrl(actor, 'grafana', 'https://evil.example/cb'))).toBe('forbidden');
    }
    expect(code(() => admin.list(t.anonymous))).toBe('unauthenticated');
    expect(code(() => admin.delete(t.actor('admin', false), 'grafana'))).toBe('read_only_token');
    expect(store.client('other')).toBeUndefined();
    expect(store.client('grafana')!.redirectUrls).toEqual([]);
  });

  it('only system_admins put someone into idm_oauth2_admins', () => {
    t.newAccount('olga', 'person');
    expect(code(() => t.dir.addMembers(t.idmAdmin, 'idm_oauth2_admins', ['olga']))).toBe('forbidden');
  });
});

describe('clients', () => {
  it('are created idempotently; a different client under a used name is duplicate_name', () => {
    const first = admin.create(t.admin, app);
    expect(first.changed).toBe(true);
    expect(first.client).toMatchObject({ type: 'confidential', pkce_required: true, id_token_alg: 'ES256', issuer: 'https://idm.example.test' });
    expect(admin.create(t.admin, app).changed).toBe(false);
    expect(code(() => admin.create(t.admin, { ...app, displayname: 'Other' }))).toBe('duplicate_name');
    expect(code(() => admin.create(t.admin, { ...app, name: 'Bad Name' }))).toBe('invalid_name');
    expect(code(() => admin.create(t.admin, { ...app, name: 'x', landing_url: 'javascript:alert(1)' }))).toBe('invalid_attribute');
  });

  it('have a secret when confidential, none when public; a reset replaces it', () => {
    admin.create(t.admin, app);
    admin.create(t.admin, { ...app, name: 'spa', public: true });
    const s = admin.basicSecret(t.admin, 'grafana');
    expect(s.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const reset = admin.resetBasicSecret(t.admin, 'grafana');
    expect(reset.client_secret).not.toBe(s.client_secret);
    expect(admin.basicSecret(t.admin, 'grafana')).toEqual(reset);
    expect(code(() => admin.basicSecret(t.admin, 'spa'))).toBe('conflict');
    expect(JSON.stringify(admin.get(t.admin, 'grafana'))).not.toContain(reset.client_secret);
  });

  it('take exact https redirect URLs; localhost only for public clients that allow it', () => {
    admin.create(t.admin, app);
    admin.create(t.admin, { ...app, name: 'cli', public: true });
    expect(admin.addRedirectUrl(t.admin, 'grafana', 'https://grafana.example.com/login/generic_oauth')).toBe(true);
    expect(admin.addRedirectUrl(t.admin, 'grafana', 'https://grafana.example.com/login/generic_oauth')).toBe(false);
    for (const bad of ['http://grafana.example.com/cb', 'https://grafana.example.com/cb#x', 'https://u:p@grafana.example.com/', 'cb', 'https://localhost/cb']) {
      expect(code(() => admin.addRedirectUrl(t.admin, 'grafana', bad))).toBe('invalid_attribute');
    }
    expect(code(() => admin.addRedirectUrl(t.admin, 'cli', 'http://127.0.0.1/callback'))).toBe('invalid_attribute');
    expect(code(() => admin.update(t.admin, 'grafana', { allow_localhost_redirects: true }))).toBe('conflict');
    admin.update(t.admin, 'cli', { allow_localhost_redirects: true });
    expect(admin.addRedirectUrl(t.admin, 'cli', 'http://127.0.0.1/callback')).toBe(true);
    expect(code(() => admin.update(t.admin, 'cli', { allow_localhost_redirects: false }))).toBe('conflict');
    expect(admin.removeRedirectUrl(t.admin, 'cli', 'http://127.0.0.1/callback')).toBe(true);
    expect(admin.removeRedirectUrl(t.admin, 'cli', 'http://127.0.0.1/callback')).toBe(false);
    expect(code(() => admin.update(t.admin, 'cli', { pkce_required: false }))).toBe('conflict');
    expect(admin.update(t.admin, 'grafana', { pkce_required: false, id_token_alg: 'RS256' })).toMatchObject({ pkce_required: false, id_token_alg: 'RS256' });
  });

  it('delete with every map, consent and token', () => {
    admin.create(t.admin, app);
    const c = store.client('grafana')!;
    admin.setScopeMap(t.admin, 'grafana', 'staff', false, ['openid']);
    store.addConsent(t.admin.uuid, c.uuid, ['openid']);
    t.dir.db.prepare("INSERT INTO oauth2_state (model, id, payload) VALUES ('AccessToken', 'x', ?)").run(JSON.stringify({ clientId: 'grafana' }));
    admin.delete(t.admin, 'grafana');
    const count = (table: string) => t.dir.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get();
    expect([count('oauth2_clients'), count('oauth2_scope_maps'), count('oauth2_consents'), count('oauth2_state')]).toEqual([0, 0, 0, 0]);
    expect(code(() => admin.delete(t.admin, 'grafana'))).toBe('not_found');
  });
});

describe('scope and claim maps', () => {
  beforeEach(() => {
    admin.create(t.admin, app);
  });

  it('scope maps name existing groups and valid scopes, and report unchanged', () => {
    expect(admin.setScopeMap(t.admin, 'grafana', 'staff', false, ['openid', 'profile', 'openid'])).toBe(true);
    expect(admin.setScopeMap(t.admin, 'grafana', 'staff', false, ['openid', 'profile'])).toBe(false);
    expect(admin.get(t.admin, 'grafana').scope_maps).toEqual([{ group: 'staff', scopes: ['openid', 'profile'] }]);
    expect(code(() => admin.setScopeMap(t.admin, 'grafana', 'nogroup', false, ['openid']))).toBe('not_found');
    for (const bad of [[], ['has space'], ['quote"'], ['x'.repeat(65)]]) {
      expect(code(() => admin.setScopeMap(t.admin, 'grafana', 'staff', true, bad))).toBe('invalid_attribute');
    }
    expect(admin.deleteScopeMap(t.admin, 'grafana', 'staff', false)).toBe(true);
    expect(admin.deleteScopeMap(t.admin, 'grafana', 'staff', false)).toBe(false);
  });

  it('claim values are text or JSON objects, checked when set, and fit their join', () => {
    t.dir.createGroup(t.admin, { name: 'ops' });
    expect(admin.setClaimMap(t.admin, 'grafana', 'role', 'staff', ['viewer'])).toBe(true);
    expect(admin.setClaimMap(t.admin, 'grafana', 'role', 'staff', ['viewer'])).toBe(false);
    expect(code(() => admin.setClaimMap(t.admin, 'grafana', 'role', 'ops', ['{"a":1}']))).toBe('invalid_attribute'); // mixing
    expect(code(() => admin.setClaimMap(t.admin, 'grafana', 'org', 'ops', ['{not json']))).toBe('invalid_attribute');
    expect(code(() => admin.setClaimMap(t.admin, 'grafana', 'org', 'ops', ['{"a":1}', '{"b":[1,2]}']))).toBe('none');
    expect(code(() => admin.setClaimMap(t.admin, 'grafana', 'email', 'ops', ['x']))).toBe('invalid_attribute'); // reserved
    expect(code(() => admin.setClaimMap(t.admin, 'grafana', '9lives', 'ops', ['x']))).toBe('invalid_attribute');
    admin.setClaimMap(t.admin, 'grafana', 'tags', 'ops', ['a b']);
    expect(code(() => admin.setClaimJoin(t.admin, 'grafana', 'tags', 'ssv'))).toBe('invalid_attribute');
    expect(admin.setClaimJoin(t.admin, 'grafana', 'tags', 'csv')).toBe(true);
    expect(code(() => admin.setClaimMap(t.admin, 'grafana', 'tags', 'staff', ['c,d']))).toBe('invalid_attribute');
    expect(admin.get(t.admin, 'grafana').claim_maps.find((m) => m.claim === 'tags')).toEqual({ claim: 'tags', join: 'csv', groups: [{ group: 'ops', values: ['a b'] }] });
    expect(admin.deleteClaimMap(t.admin, 'grafana', 'tags', 'ops')).toBe(true);
    expect(t.dir.db.prepare("SELECT COUNT(*) FROM oauth2_claim_joins WHERE claim = 'tags'").pluck().get()).toBe(0);
  });

  it('change the generation that rebuilds the provider; deleting a group removes its maps', () => {
    const before = store.generation;
    admin.setScopeMap(t.admin, 'grafana', 'staff', false, ['openid', 'grafana:admin']);
    expect(store.generation).toBeGreaterThan(before);
    expect(store.vocabulary().scopes).toContain('grafana:admin');
    t.dir.deleteGroup(t.admin, 'staff');
    expect(admin.get(t.admin, 'grafana').scope_maps).toEqual([]);
  });
});
