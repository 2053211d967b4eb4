/**
 * The REST API end to end through the shipped client (WardClient): an administrator builds a
 * person with POSIX attributes and an SSH key in a POSIX group nested in another, and a host
 * reads it all back through the anonymous unix view. Also: no answer ever carries a secret.
 */
import { WardClient } from '@ward/client';
import { WardError, type Account, type Group, type MemberList, type SshKey, type UnixAccount, type UnixGroup } from '@ward/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, rawRequest, startTestServer, testSshKey, type TestServer } from '../testing/index.js';
import { SIGNING_KEY_SETTING } from './tokens.js';

let srv: TestServer;
let admin: WardClient;
let host: WardClient;
const key = testSshKey('ecdsa-p256', 'alice@desk');

beforeAll(async () => {
  srv = await startTestServer({ domain: 'idm.example.test' });
  const token = await login(srv, 'idm_admin', await srv.recover('idm_admin'));
  admin = new WardClient({ url: srv.url, caPath: srv.caPath, token });
  host = new WardClient({ url: srv.url, caPath: srv.caPath });
});
afterAll(async () => {
  admin?.close();
  host?.close();
  await srv?.close();
});

describe('an administrator', () => {
  it('creates a person (201), and again identically (200)', async () => {
    const body = { name: 'alice', displayname: 'Alice Liddell', mail: ['alice@example.test'] };
    const first = await admin.callWithStatus<Account>('person_create', { body });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: 'alice', spn: 'alice@idm.example.test', kind: 'person', posix: null, builtin: false });
    const again = await admin.callWithStatus<Account>('person_create', { body });
    expect(again.status).toBe(200);
    expect(again.body.uuid).toBe(first.body.uuid);
  });

  it('gives it POSIX attributes, a unix password and an SSH key', async () => {
    const posix = await admin.call<Account>('person_posix_set', { params: { id: 'alice' }, body: { shell: '/bin/zsh' } });
    expect(posix.posix).toEqual({ uidnumber: expect.any(Number), gidnumber: posix.posix!.uidnumber, shell: '/bin/zsh' });
    expect(posix.posix!.uidnumber).toBeGreaterThanOrEqual(65536);
    await admin.call('person_unix_password_set', { params: { id: 'alice' }, body: { password: 'alice-unix-pass' } });
    const added = await admin.callWithStatus<SshKey>('person_ssh_add', { params: { id: 'alice' }, body: { tag: 'desk', key } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ tag: 'desk', type: 'ecdsa-sha2-nistp256', comment: 'alice@desk', bits: 256, fingerprint: expect.stringMatching(/^SHA256:/) });
    expect((await admin.call<Account>('person_get', { params: { id: 'alice@idm.example.test' } })).has_unix_password).toBe(true);
  });

  it('nests a POSIX group in another', async () => {
    await admin.call('group_create', { body: { name: 'devs', description: 'Developers' } });
    await admin.call('group_create', { body: { name: 'staff' } });
    const devs = await admin.call<Group>('group_posix_set', { params: { id: 'devs' }, body: { gidnumber: 5000 } });
    expect(devs.gidnumber).toBe(5000);
    await admin.call('group_posix_set', { params: { id: 'staff' }, body: {} });
    await admin.call('group_members_add', { params: { id: 'devs' }, body: { members: ['alice'] } });
    const again = await admin.call('group_members_add', { params: { id: 'devs' }, body: { members: ['alice'] } });
    expect(again).toEqual({ ok: true, changed: false });
    await admin.call('group_members_add', { params: { id: 'staff' }, body: { members: ['devs'] } });
    const members = await admin.call<MemberList>('group_members_list', { params: { id: 'staff' } });
    expect(members).toEqual({ direct: ['devs'], effective: ['alice'] });
    const alice = await admin.call<Account>('person_get', { params: { id: 'alice' } });
    expect(alice.direct_memberof).toEqual(['devs']);
    expect(alice.memberof).toEqual(expect.arrayContaining(['devs', 'staff']));
  });

  it('reads the POSIX views through the kind routes', async () => {
    const ua = await admin.call<UnixAccount>('person_posix_get', { params: { id: 'alice' } });
    expect(ua.name).toBe('alice');
    const ug = await admin.call<UnixGroup>('group_posix_get', { params: { id: 'staff' } });
    expect(ug.members).toEqual(['alice']);
  });
});

describe('membership changes', () => {
  it('removes members with a DELETE body and replaces them with PUT', async () => {
    await admin.call('group_create', { body: { name: 'tmp' } });
    await admin.call('group_members_add', { params: { id: 'tmp' }, body: { members: ['alice', 'devs'] } });
    expect(await admin.call('group_members_remove', { params: { id: 'tmp' }, body: { members: ['devs'] } })).toEqual({ ok: true, changed: true });
    expect((await admin.call<MemberList>('group_members_list', { params: { id: 'tmp' } })).direct).toEqual(['alice']);
    expect(await admin.call('group_members_set', { params: { id: 'tmp' }, body: { members: ['staff'] } })).toEqual({ ok: true, changed: true });
    expect(await admin.call<MemberList>('group_members_list', { params: { id: 'tmp' } })).toEqual({ direct: ['staff'], effective: ['alice'] });
    expect(await admin.call('group_delete', { params: { id: 'tmp' } })).toEqual({ ok: true, changed: true });
    await expect(admin.call('group_get', { params: { id: 'tmp' } })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('a host (anonymous)', () => {
  it('resolves the account by name, spn, uid and uuid, with groups and keys', async () => {
    const byName = await host.call<UnixAccount>('unix_account_get', { params: { id: 'alice' } });
    expect(byName).toMatchObject({ name: 'alice', spn: 'alice@idm.example.test', displayname: 'Alice Liddell', shell: '/bin/zsh', locked: false, expire_at: null });
    expect(byName.groups[0]).toMatchObject({ name: 'alice', gidnumber: byName.gidnumber });
    expect(byName.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['alice', 'devs', 'staff']));
    expect(byName.sshkeys).toHaveLength(1);
    for (const id of ['alice@idm.example.test', String(byName.uidnumber), byName.uuid]) {
      expect((await host.call<UnixAccount>('unix_account_get', { params: { id } })).uuid).toBe(byName.uuid);
    }
    const keys = await host.call<string[]>('unix_account_ssh_keys', { params: { id: 'alice' } });
    expect(keys[0]).toBe(key);
  });

  it('lists accounts and groups in bulk', async () => {
    const accounts = await host.call<UnixAccount[]>('unix_account_list');
    expect(accounts.map((a) => a.name)).toContain('alice');
    const groups = await host.call<UnixGroup[]>('unix_group_list');
    expect(groups.find((g) => g.name === 'devs')).toMatchObject({ gidnumber: 5000, members: ['alice'] });
    expect((await host.call<UnixGroup>('unix_group_get', { params: { id: '5000' } })).name).toBe('devs');
  });

  it('checks a unix password', async () => {
    expect(await host.call('unix_account_auth', { params: { id: 'alice' }, body: { password: 'alice-unix-pass' } })).toMatchObject({ ok: true, account: { name: 'alice' } });
    expect(await host.call('unix_account_auth', { params: { id: 'alice' }, body: { password: 'wrong-password' } })).toEqual({ ok: false, account: null });
    expect(await host.call('unix_account_auth', { params: { id: 'nobody' }, body: { password: 'wrong-password' } })).toEqual({ ok: false, account: null });
  });

  it('gets not_found for what is not there', async () => {
    await expect(host.call('unix_account_get', { params: { id: 'ghost' } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(host.call('unix_group_get', { params: { id: '424242' } })).rejects.toBeInstanceOf(WardError);
  });
});

describe('answers never carry a secret', () => {
  it('no password hash, token secret or signing key appears in any read', async () => {
    const minted = await admin.call<{ token: string }>('service_account_create', { body: { name: 'svc', displayname: 'Svc' } }).then(() =>
      admin.call<{ token: string }>('service_account_token_create', { params: { id: 'svc' }, body: { label: 'l' } }),
    );
    const signature = minted.token.split('.')[2]!;
    const paths = [
      '/v1/person', '/v1/person/alice', '/v1/service_account', '/v1/service_account/svc', '/v1/service_account/svc/api_tokens',
      '/v1/service_account/admin', '/v1/group', '/v1/unix/account', '/v1/unix/account/alice', '/v1/sessions', '/v1/auth/whoami',
    ];
    const jwk = JSON.parse(srv.directory!.getSetting(SIGNING_KEY_SETTING)!) as { d: string };
    for (const path of paths) {
      const res = await rawRequest(srv, { path, token: admin.token! });
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toMatch(/\$argon2/);
      expect(res.text, path).not.toContain(signature);
      expect(res.text, path).not.toContain(jwk.d);
      expect(res.text, path).not.toContain('alice-unix-pass');
    }
  });
});
