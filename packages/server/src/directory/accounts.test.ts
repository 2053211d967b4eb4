import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDirectory, errorCode, type TestDirectory } from './test-support.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

const count = (): number => t.dir.db.prepare('SELECT COUNT(*) FROM entries').pluck().get() as number;

describe('built-in entries', () => {
  it('are seeded once with their memberships', () => {
    const accounts = t.dir.listAccounts(t.admin, 'service_account');
    expect(accounts.map((a) => [a.name, a.builtin])).toEqual([
      ['admin', true],
      ['anonymous', true],
      ['idm_admin', true],
    ]);
    const admin = t.dir.getAccount(t.admin, 'service_account', 'admin');
    expect(admin.memberof).toEqual(['idm_admins', 'system_admins']);
    expect(admin.spn).toBe('admin@example.test');
    expect(t.dir.getAccount(t.admin, 'service_account', 'idm_admin').memberof).toEqual(['idm_admins']);
    expect(t.dir.listGroups(t.admin).map((g) => g.name)).toEqual([
      'idm_admins', 'idm_group_admins', 'idm_oauth2_admins', 'idm_people_admins', 'idm_service_account_admins', 'idm_unix_admins', 'system_admins',
    ]);
    const before = count();
    t.reopen();
    expect(count()).toBe(before);
  });

  it('have no password until one is set, and anonymous can never have one', async () => {
    expect(await t.dir.verifyPassword('admin', 'anything-at-all')).toBeNull();
    await t.dir.setPrimaryPassword('idm_admin', 'a long recovered password');
    expect(await t.dir.verifyPassword('idm_admin', 'a long recovered password')).toMatchObject({ name: 'idm_admin', kind: 'service_account' });
    await expect(t.dir.setPrimaryPassword('anonymous', 'a long password')).rejects.toMatchObject({ code: 'builtin' });
  });
});

describe('createAccount', () => {
  it('creates a person with every attribute, and is idempotent', () => {
    const { account, changed } = t.dir.createAccount(t.idmAdmin, 'person', {
      name: 'alice', displayname: 'Alice Liddell', mail: ['alice@example.test', 'ALICE@example.test', 'a@b.test'], description: 'test',
    });
    expect(changed).toBe(true);
    expect(account).toMatchObject({
      kind: 'person', name: 'alice', spn: 'alice@example.test', displayname: 'Alice Liddell',
      mail: ['alice@example.test', 'a@b.test'], description: 'test', builtin: false, memberof: [], direct_memberof: [],
      posix: null, has_unix_password: false, locked: false, expire_at: null,
    });
    expect(account.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const again = t.dir.createAccount(t.idmAdmin, 'person', {
      name: 'alice', displayname: 'Alice Liddell', mail: ['alice@example.test', 'a@b.test'], description: 'test',
    });
    expect(again).toEqual({ account, changed: false });
  });

  it('refuses a name in use by anything, in one namespace', () => {
    t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    t.dir.createGroup(t.admin, { name: 'devs' });
    expect(errorCode(() => t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Other Alice' }))).toBe('duplicate_name');
    expect(errorCode(() => t.dir.createAccount(t.admin, 'service_account', { name: 'alice', displayname: 'Alice' }))).toBe('duplicate_name');
    expect(errorCode(() => t.dir.createAccount(t.admin, 'person', { name: 'devs', displayname: 'Devs' }))).toBe('duplicate_name');
    expect(errorCode(() => t.dir.createAccount(t.admin, 'person', { name: 'idm_admins', displayname: 'X' }))).toBe('duplicate_name');
    expect(errorCode(() => t.dir.createAccount(t.admin, 'person', { name: 'admin', displayname: 'Administrator' }))).toBe('duplicate_name');
  });

  it('refuses bad names and attributes and changes nothing', () => {
    const before = count();
    for (const name of ['Alice', 'al ice', 'a/b', 'a..b', '..', '.', 'a\u0000b', 'x'.repeat(65), '', '1abc', 'ali\nce', '-x']) {
      expect(errorCode(() => t.dir.createAccount(t.admin, 'person', { name, displayname: 'X' })), name).toBe('invalid_name');
    }
    const bad = [
      { name: 'bob', displayname: 'Bob\u0007' },
      { name: 'bob', displayname: '   ' },
      { name: 'bob', displayname: 'Bob', mail: ['not a mail'] },
      { name: 'bob', displayname: 'Bob', mail: Array.from({ length: 17 }, (_, i) => `b${i}@x.test`) },
      { name: 'bob', displayname: 'Bob', description: 'x'.repeat(1025) },
      { name: 'bob', displayname: 'Bob', uidnumber: 5000 },
    ];
    for (const req of bad) expect(errorCode(() => t.dir.createAccount(t.admin, 'person', req as never))).toBe('invalid_attribute');
    expect(count()).toBe(before);
  });
});

describe('reading accounts', () => {
  it('resolves a name, an spn of this domain or a uuid, within the kind asked for', () => {
    const { account } = t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    for (const ref of ['alice', 'alice@example.test', account.uuid, account.uuid.toUpperCase()]) {
      expect(t.dir.getAccount(t.admin, 'person', ref).uuid).toBe(account.uuid);
    }
    expect(errorCode(() => t.dir.getAccount(t.admin, 'person', 'alice@other.test'))).toBe('not_found');
    expect(errorCode(() => t.dir.getAccount(t.admin, 'service_account', 'alice'))).toBe('not_found');
    expect(errorCode(() => t.dir.getAccount(t.admin, 'person', 'nobody'))).toBe('not_found');
    expect(t.dir.listAccounts(t.admin, 'person').map((a) => a.name)).toEqual(['alice']);
  });
});

describe('updateAccount', () => {
  it('changes attributes, renames (spn follows) and is a no-op when nothing differs', () => {
    const { account } = t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    const renamed = t.dir.updateAccount(t.admin, 'person', 'alice', { name: 'alice2', displayname: 'Alice Two', mail: ['a2@x.test'] });
    expect(renamed).toMatchObject({ uuid: account.uuid, name: 'alice2', spn: 'alice2@example.test', displayname: 'Alice Two', mail: ['a2@x.test'] });
    expect(errorCode(() => t.dir.getAccount(t.admin, 'person', 'alice'))).toBe('not_found');
    t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'New Alice' });
    expect(errorCode(() => t.dir.updateAccount(t.admin, 'person', 'alice2', { name: 'alice' }))).toBe('duplicate_name');
    const same = t.dir.updateAccount(t.admin, 'person', 'alice2', { displayname: 'Alice Two' });
    expect(same.updated_at).toBe(renamed.updated_at);
    expect(t.dir.updateAccount(t.admin, 'person', 'alice2', { description: null }).description).toBeNull();
  });

  it('refuses invalid changes without changing anything', () => {
    t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    const before = t.dir.getAccount(t.admin, 'person', 'alice');
    expect(errorCode(() => t.dir.updateAccount(t.admin, 'person', 'alice', { name: 'Alice' }))).toBe('invalid_name');
    expect(errorCode(() => t.dir.updateAccount(t.admin, 'person', 'alice', { displayname: 'A', expire_at: 'tomorrow' }))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.updateAccount(t.admin, 'person', 'alice', {} as never))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.updateAccount(t.admin, 'service_account', 'admin', { name: 'superuser' }))).toBe('builtin');
    expect(t.dir.getAccount(t.admin, 'person', 'alice')).toEqual(before);
  });

  it('locks and expires accounts: no login, no token, sessions ended', async () => {
    const alice = t.newAccount('alice');
    await t.dir.setPrimaryPassword('alice', 'correct horse battery');
    const session = t.dir.createSession(alice.uuid, 3600, '127.0.0.1');
    t.dir.updateAccount(t.admin, 'person', 'alice', { locked: true });
    expect(t.dir.getSession(session.id)).toBeUndefined();
    expect(t.dir.actorFor(alice.uuid, true)).toBeNull();
    expect(await t.dir.verifyPassword('alice', 'correct horse battery')).toBeNull();
    expect(errorCode(() => t.dir.createSession(alice.uuid, 3600, 'x'))).toBe('not_found');
    t.dir.updateAccount(t.admin, 'person', 'alice', { locked: false });
    expect(await t.dir.verifyPassword('alice', 'correct horse battery')).not.toBeNull();

    const past = t.dir.updateAccount(t.admin, 'person', 'alice', { expire_at: '2001-01-01T00:00:00Z' });
    expect(past.expire_at).toBe('2001-01-01T00:00:00.000Z');
    expect(t.dir.actorFor(alice.uuid, true)).toBeNull();
    expect(await t.dir.verifyPassword('alice', 'correct horse battery')).toBeNull();
    t.dir.updateAccount(t.admin, 'person', 'alice', { expire_at: '2999-01-01T00:00:00+01:00' });
    expect(t.dir.actorFor(alice.uuid, true)).not.toBeNull();
  });
});

describe('deleteAccount', () => {
  it('removes the account with its memberships, keys, sessions and tokens', () => {
    const alice = t.newAccount('alice');
    t.dir.createGroup(t.admin, { name: 'devs' });
    t.dir.addMembers(t.admin, 'devs', ['alice']);
    t.dir.createSession(alice.uuid, 60, 'x');
    t.dir.deleteAccount(t.admin, 'person', 'alice');
    expect(errorCode(() => t.dir.getAccount(t.admin, 'person', 'alice'))).toBe('not_found');
    expect(t.dir.listMembers(t.admin, 'devs')).toEqual({ direct: [], effective: [] });
    expect(t.dir.listSessions(alice.uuid)).toEqual([]);
    expect(errorCode(() => t.dir.deleteAccount(t.admin, 'person', 'alice'))).toBe('not_found');
    expect(errorCode(() => t.dir.deleteAccount(t.admin, 'service_account', 'idm_admin'))).toBe('builtin');
    expect(errorCode(() => t.dir.deleteAccount(t.admin, 'service_account', 'anonymous'))).toBe('builtin');
  });
});
