/**
 * Who gets what: access through scope-mapped groups (nested ones count), supplementary scopes,
 * claim values as the union over the person's groups with each join, JSON object claims merged,
 * and nothing for people outside, service accounts or locked persons.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDirectory, type TestDirectory } from '../directory/test-support.js';
import { OAuth2Admin } from './admin.js';
import { claimValue, Entitlements, standardClaims } from './entitlements.js';
import { SigningKeys } from './keys.js';
import { OAuth2Store } from './store.js';

let t: TestDirectory;
let ent: Entitlements;
let admin: OAuth2Admin;

beforeEach(() => {
  t = openTestDirectory();
  const store = new OAuth2Store(t.dir.db);
  admin = new OAuth2Admin(store, t.dir, new SigningKeys(store), 'https://idm.example.test');
  ent = new Entitlements(t.dir, store);
  for (const name of ['users', 'ops', 'platform', 'auditors']) t.dir.createGroup(t.admin, { name });
  t.dir.addMembers(t.admin, 'platform', ['ops']); // ops sits inside platform
  admin.create(t.admin, { name: 'app', displayname: 'App', landing_url: 'https://app.example/', public: false });
  admin.setScopeMap(t.admin, 'app', 'users', false, ['openid', 'profile']);
  admin.setScopeMap(t.admin, 'app', 'platform', false, ['email']);
  admin.setScopeMap(t.admin, 'app', 'auditors', true, ['audit']);
});
afterEach(() => t.cleanup());

describe('access and scopes', () => {
  it('come from scope maps of the person\u2019s groups, nested included; supplementary maps only add', () => {
    const alice = t.newAccount('alice', 'person', ['ops', 'auditors']);
    const a = ent.of(alice.uuid, 'app')!;
    expect(a.access).toBe(true);
    expect([...a.scopes].sort()).toEqual(['audit', 'email', 'openid']);

    const ann = t.newAccount('ann', 'person', ['auditors']);
    expect(ent.of(ann.uuid, 'app')).toMatchObject({ access: false });
    expect([...ent.of(ann.uuid, 'app')!.scopes]).toEqual([]);

    const bob = t.newAccount('bob', 'person', ['users']);
    expect([...ent.of(bob.uuid, 'app')!.scopes].sort()).toEqual(['openid', 'profile']);
    expect(ent.appsFor(bob)).toEqual([{ id: 'app', displayName: 'App', url: 'https://app.example/' }]);
    expect(ent.appsFor(ann)).toEqual([]);
  });

  it('are none for service accounts, locked persons and unknown clients', () => {
    const bot = t.newAccount('bot', 'service_account', ['users']);
    expect(ent.of(bot.uuid, 'app')).toBeUndefined();
    const carol = t.newAccount('carol', 'person', ['users']);
    t.dir.updateAccount(t.admin, 'person', 'carol', { locked: true });
    expect(ent.of(carol.uuid, 'app')).toBeUndefined();
    const dave = t.newAccount('dave', 'person', ['users']);
    expect(ent.of(dave.uuid, 'nope')).toBeUndefined();
  });
});

describe('claims', () => {
  it('are the union over the person\u2019s groups in group-name order, joined as configured', () => {
    admin.setClaimMap(t.admin, 'app', 'roles', 'users', ['viewer']);
    admin.setClaimMap(t.admin, 'app', 'roles', 'platform', ['admin', 'viewer']);
    const alice = t.newAccount('alice', 'person', ['users', 'ops']);
    expect(ent.of(alice.uuid, 'app')!.claims).toEqual({ roles: ['admin', 'viewer'] });
    admin.setClaimJoin(t.admin, 'app', 'roles', 'csv');
    expect(ent.of(alice.uuid, 'app')!.claims.roles).toBe('admin,viewer');
    admin.setClaimJoin(t.admin, 'app', 'roles', 'ssv');
    expect(ent.of(alice.uuid, 'app')!.claims.roles).toBe('admin viewer');
    const bob = t.newAccount('bob', 'person', ['users']);
    expect(ent.of(bob.uuid, 'app')!.claims.roles).toBe('viewer');
  });

  it('merge JSON objects key by key, a later group winning', () => {
    admin.setClaimMap(t.admin, 'app', 'org', 'platform', ['{"team":"platform","level":1}']);
    admin.setClaimMap(t.admin, 'app', 'org', 'users', ['{"level":2,"site":"ams"}']);
    const alice = t.newAccount('alice', 'person', ['users', 'ops']);
    expect(ent.of(alice.uuid, 'app')!.claims.org).toEqual({ team: 'platform', level: 2, site: 'ams' });
  });

  it('are not given to people without access', () => {
    admin.setClaimMap(t.admin, 'app', 'roles', 'auditors', ['auditor']);
    const ann = t.newAccount('ann', 'person', ['auditors']);
    expect(ent.of(ann.uuid, 'app')!.claims).toEqual({});
  });

  it('claimValue keeps each text value once', () => {
    const maps = [
      { claim: 'r', groupUuid: '1', groupName: 'a', values: ['x', 'y'] },
      { claim: 'r', groupUuid: '2', groupName: 'b', values: ['y', 'z'] },
    ];
    expect(claimValue(maps, 'array')).toEqual(['x', 'y', 'z']);
  });
});

describe('the email claim', () => {
  it('is verified only for the one holder of the address (an older database may hold it twice)', () => {
    t.dir.createAccount(t.admin, 'person', { name: 'ada', displayname: 'Ada', mail: ['Ada@example.com'] });
    const ada = t.actor('ada');
    const bea = t.newAccount('bea');
    // What a Ward before the mail_addresses table could store: the same address on bea.
    t.dir.db.prepare('UPDATE entries SET mail = ? WHERE uuid = ?').run(JSON.stringify(['ada@EXAMPLE.com']), bea.uuid);
    expect(standardClaims(ent.person(ada.uuid)!)).toMatchObject({ email: 'Ada@example.com', email_verified: true });
    expect(standardClaims(ent.person(bea.uuid)!)).toMatchObject({ email: 'ada@EXAMPLE.com', email_verified: false });
  });
});
