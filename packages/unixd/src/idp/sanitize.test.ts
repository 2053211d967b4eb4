/** What the host refuses from the IdP, whatever the IdP says. */
import { describe, expect, test } from 'vitest';
import { checkAccount, checkGroup, cleanGecos, isValidSshKeyLine } from './sanitize.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIChtwq6nFB3EMOkLNToLV0q5GVy0ezhPY981d4wKnjsW alice@laptop';
const good = {
  uuid: '0b6d2c1e-3f4a-4b5c-8d9e-0f1a2b3c4d5e', name: 'alice', spn: 'alice@ward.test', displayname: 'Alice: Admin\n',
  uidnumber: 65536, gidnumber: 65536, shell: '/bin/zsh', groups: [{ name: 'alice', spn: 'alice@ward.test', gidnumber: 65536 }],
  sshkeys: [KEY], locked: false, expire_at: null,
};

describe('accounts', () => {
  test('a good account passes, with a gecos safe for passwd lines', () => {
    const r = checkAccount(good);
    expect(r.ok && r.value).toMatchObject({ name: 'alice', displayname: 'Alice  Admin', sshkeys: [KEY] });
  });

  test.each([
    [{ uidnumber: 0 }, /reserved system range/],
    [{ uidnumber: 999 }, /reserved system range/],
    [{ gidnumber: 0 }, /reserved system range/],
    [{ name: 'Root' }, /not a valid name/],
    [{ name: '../etc' }, /not a valid name/],
    [{ spn: 'bob@ward.test' }, /is not alice@<domain>/],
    [{ uuid: 'x' }, /not a lower-case UUID/],
    [{ uidnumber: 'x' }, /not a UnixAccount/],
    [{ groups: 'x' }, /not a UnixAccount/],
    [{ expire_at: 'next tuesday' }, /expire_at "next tuesday" is not an RFC 3339 date-time/],
    [{ expire_at: '2030-13-01T00:00:00Z' }, /not an RFC 3339 date-time/],
    [{ expire_at: 1893456000 }, /not a UnixAccount/],
    [{ password_changed_at: 'yesterday' }, /password_changed_at "yesterday" is not an RFC 3339 date-time/],
  ])('refuses %j', (change, expected) => {
    const r = checkAccount({ ...good, ...change });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toMatch(expected);
  });

  test('keeps expire_at; an IdP that sends none (older than the host) means never', () => {
    const r = checkAccount({ ...good, expire_at: '2030-01-31T00:00:00.000Z' });
    expect(r.ok && r.value.expire_at).toBe('2030-01-31T00:00:00.000Z');
    const older: Record<string, unknown> = { ...good };
    delete older['expire_at'];
    const o = checkAccount(older);
    expect(o.ok && o.value).toMatchObject({ name: 'alice', expire_at: null });
  });

  test('keeps password_changed_at when the IdP sends it, and leaves it out when it does not', () => {
    const at = '2026-12-01T10:00:00.000Z';
    for (const v of [at, null]) {
      const r = checkAccount({ ...good, password_changed_at: v });
      expect(r.ok && r.value.password_changed_at).toBe(v);
    }
    const old = checkAccount(good);
    expect(old.ok && 'password_changed_at' in old.value).toBe(false);
  });

  test('drops single bad keys and groups, keeps the rest', () => {
    const r = checkAccount({
      ...good,
      sshkeys: [KEY, `${KEY}\nssh-rsa AAAA injected`, `command="sh" ${KEY}`, 'not a key'],
      groups: [...good.groups, { name: 'root', spn: 'root@ward.test', gidnumber: 0 }],
      shell: '/bin/../bin/sh',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.sshkeys).toEqual([KEY]);
    expect(r.value.groups.map((g) => g.name)).toEqual(['alice']);
    expect(r.value.shell).toBe('');
    expect(r.dropped.length).toBe(4);
  });
});

test('groups: refuses system gids and drops invalid members', () => {
  const g = { uuid: '0b6d2c1e-3f4a-4b5c-8d9e-0f1a2b3c4d5f', name: 'devs', spn: 'devs@ward.test', gidnumber: 65537, members: ['alice', 'Bad', 'alice'] };
  const r = checkGroup(g);
  expect(r.ok && r.value.members).toEqual(['alice']);
  expect(checkGroup({ ...g, gidnumber: 10 }).ok).toBe(false);
});

test('key lines and gecos', () => {
  expect(isValidSshKeyLine(KEY)).toBe(true);
  expect(isValidSshKeyLine(`${KEY}\r`)).toBe(false);
  expect(cleanGecos('a\u0000b:c')).toBe('a b c');
});
