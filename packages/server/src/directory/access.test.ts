import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from './types.js';
import { errorCode, errorCodeAsync, openTestDirectory, type TestDirectory } from './test-support.js';

let key: string;
let keyDir: string;
beforeAll(() => {
  keyDir = mkdtempSync(join(tmpdir(), 'ward-access-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'k')]);
  key = readFileSync(join(keyDir, 'k.pub'), 'utf8');
});
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

let t: TestDirectory;
let mallory: Actor;
beforeEach(() => {
  t = openTestDirectory();
  mallory = t.newAccount('mallory');
  t.newAccount('alice');
  t.newAccount('bot', 'service_account');
  t.dir.createGroup(t.admin, { name: 'devs' });
  t.dir.addMembers(t.admin, 'devs', ['alice']);
  t.dir.setAccountPosix(t.admin, 'person', 'alice', {});
  t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', key);
});
afterEach(() => t.cleanup());

/** Everything observable about the directory, to prove a refused call changed nothing. */
function snapshot(): string {
  const tables = ['entries', 'memberships', 'ssh_keys', 'credentials', 'api_tokens', 'posix_id_history', 'settings'];
  return JSON.stringify(tables.map((table) => t.dir.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()));
}

/** Every write path, each against an entry that is not the actor's own. */
const WRITES: Array<[string, (a: Actor) => unknown]> = [
  ['create person', (a) => t.dir.createAccount(a, 'person', { name: 'eve', displayname: 'Eve' })],
  ['create service account', (a) => t.dir.createAccount(a, 'service_account', { name: 'evebot', displayname: 'Eve' })],
  ['update person', (a) => t.dir.updateAccount(a, 'person', 'alice', { displayname: 'Hacked' })],
  ['lock person', (a) => t.dir.updateAccount(a, 'person', 'alice', { locked: true })],
  ['delete person', (a) => t.dir.deleteAccount(a, 'person', 'alice')],
  ['delete service account', (a) => t.dir.deleteAccount(a, 'service_account', 'bot')],
  ['set posix', (a) => t.dir.setAccountPosix(a, 'person', 'alice', { shell: '/bin/sh' })],
  ['add ssh key', (a) => t.dir.addSshKey(a, 'person', 'alice', 'evil', key.replace(/ \S+$/, ''))],
  ['delete ssh key', (a) => t.dir.deleteSshKey(a, 'person', 'alice', 'laptop')],
  ['create group', (a) => t.dir.createGroup(a, { name: 'evil' })],
  ['delete group', (a) => t.dir.deleteGroup(a, 'devs')],
  ['add members', (a) => t.dir.addMembers(a, 'devs', ['mallory'])],
  ['remove members', (a) => t.dir.removeMembers(a, 'devs', ['alice'])],
  ['set members', (a) => t.dir.setMembers(a, 'devs', [])],
  ['group posix', (a) => t.dir.setGroupPosix(a, 'devs', {})],
  ['create api token', (a) => t.dir.createApiToken(a, 'bot', { label: 'x' })],
  ['destroy api token', (a) => t.dir.destroyApiToken(a, 'bot', 'x')],
  ['join idm_admins', (a) => t.dir.addMembers(a, 'idm_admins', [a.name])],
];

const READS: Array<[string, (a: Actor) => unknown]> = [
  ['get other person', (a) => t.dir.getAccount(a, 'person', 'alice')],
  ['get missing person', (a) => t.dir.getAccount(a, 'person', 'nobody')],
  ['get group', (a) => t.dir.getGroup(a, 'devs')],
  ['list members', (a) => t.dir.listMembers(a, 'devs')],
  ['list keys of another', (a) => t.dir.listSshKeys(a, 'person', 'alice')],
  ['list api tokens', (a) => t.dir.listApiTokens(a, 'bot')],
];

describe('a person without admin rights', () => {
  it.each(WRITES)('is forbidden to %s, and nothing changes', (_name, write) => {
    const before = snapshot();
    expect(errorCode(() => write(mallory))).toBe('forbidden');
    expect(snapshot()).toBe(before);
  });

  it('cannot set the unix password of another', async () => {
    expect(await errorCodeAsync(() => t.dir.setUnixPassword(mallory, 'person', 'alice', 'a fine password'))).toBe('forbidden');
  });

  it.each(READS)('is forbidden to %s (existing or not)', (_name, read) => {
    expect(errorCode(() => read(mallory))).toBe('forbidden');
  });

  it('reads itself only', () => {
    expect(t.dir.getAccount(mallory, 'person', 'mallory').name).toBe('mallory');
    expect(t.dir.listAccounts(mallory, 'person').map((a) => a.name)).toEqual(['mallory']);
    expect(t.dir.listAccounts(mallory, 'service_account')).toEqual([]);
    expect(t.dir.listGroups(mallory)).toEqual([]);
  });

  it('manages its own SSH keys and unix password, and nothing else of its own', async () => {
    expect(t.dir.addSshKey(mallory, 'person', 'mallory', 'mine', key).changed).toBe(true);
    expect(t.dir.listSshKeys(mallory, 'person', 'mallory')).toHaveLength(1);
    expect(t.dir.deleteSshKey(mallory, 'person', 'mallory', 'mine').changed).toBe(true);
    expect(errorCode(() => t.dir.setAccountPosix(mallory, 'person', 'mallory', {}))).toBe('forbidden');
    t.dir.setAccountPosix(t.admin, 'person', 'mallory', {});
    await t.dir.setUnixPassword(mallory, 'person', 'mallory', 'my own unix password');
    expect(await t.dir.verifyUnixPassword('mallory', 'my own unix password')).not.toBeNull();
    expect(errorCode(() => t.dir.updateAccount(mallory, 'person', 'mallory', { displayname: 'M' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.updateAccount(mallory, 'person', 'mallory', { locked: false }))).toBe('forbidden');
    expect(errorCode(() => t.dir.deleteAccount(mallory, 'person', 'mallory'))).toBe('forbidden');
  });
});

describe('a read-only token', () => {
  it.each(WRITES)('never may %s, even of an administrator', (_name, write) => {
    const before = snapshot();
    expect(errorCode(() => write(t.actor('admin', false)))).toBe('read_only_token');
    expect(snapshot()).toBe(before);
  });

  it('may read what its account may read, and not change its own keys', async () => {
    const ro = t.actor('idm_admin', false);
    expect(t.dir.getAccount(ro, 'person', 'alice').name).toBe('alice');
    expect(t.dir.listMembers(ro, 'devs').direct).toEqual(['alice']);
    expect(errorCode(() => t.dir.addSshKey(t.actor('mallory', false), 'person', 'mallory', 'k', key))).toBe('read_only_token');
    expect(await errorCodeAsync(() => t.dir.setUnixPassword(ro, 'person', 'alice', 'a fine password'))).toBe('read_only_token');
  });
});

describe('anonymous', () => {
  it.each([...WRITES, ...READS])('is unauthenticated to %s', (_name, call) => {
    expect(errorCode(() => call(t.anonymous))).toBe('unauthenticated');
  });

  it('is unauthenticated even with the anonymous account uuid and a read-write flag', () => {
    const uuid = t.dir.db.prepare("SELECT uuid FROM entries WHERE name = 'anonymous'").pluck().get() as string;
    expect(t.dir.actorFor(uuid, true)).toMatchObject({ kind: 'anonymous', readWrite: false });
    expect(errorCode(() => t.dir.listAccounts({ uuid, name: 'anonymous', kind: 'person', readWrite: true }, 'person'))).toBe('unauthenticated');
  });

  it('reads the unix view', () => {
    expect(t.dir.getUnixAccount('alice').sshkeys).toHaveLength(1);
    expect(t.dir.listUnixAccounts()).toHaveLength(1);
  });
});

describe('delegated administration', () => {
  function member(name: string, group: string, kind: 'person' | 'service_account' = 'person'): Actor {
    t.newAccount(name, kind);
    t.dir.addMembers(t.admin, group, [name]);
    return t.actor(name);
  }

  it('idm_people_admins manage persons only', () => {
    const pat = member('pat', 'idm_people_admins');
    expect(t.dir.createAccount(pat, 'person', { name: 'eve', displayname: 'Eve' }).changed).toBe(true);
    t.dir.updateAccount(pat, 'person', 'eve', { displayname: 'Eve E.' });
    t.dir.addSshKey(pat, 'person', 'eve', 'k', key);
    expect(t.dir.listAccounts(pat, 'person').length).toBeGreaterThan(1);
    t.dir.deleteAccount(pat, 'person', 'eve');
    expect(errorCode(() => t.dir.createAccount(pat, 'service_account', { name: 'b2', displayname: 'B' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.setAccountPosix(pat, 'person', 'alice', {}))).toBe('forbidden');
    expect(errorCode(() => t.dir.createGroup(pat, { name: 'g' }))).toBe('forbidden');
  });

  it('idm_group_admins manage groups and membership only', () => {
    const gary = member('gary', 'idm_group_admins');
    t.dir.createGroup(gary, { name: 'ops' });
    t.dir.addMembers(gary, 'ops', ['alice', 'devs']);
    t.dir.setMembers(gary, 'ops', ['gary']);
    t.dir.deleteGroup(gary, 'ops');
    expect(errorCode(() => t.dir.createAccount(gary, 'person', { name: 'eve', displayname: 'Eve' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.setGroupPosix(gary, 'devs', {}))).toBe('forbidden');
  });

  it('idm_unix_admins manage POSIX attributes and unix passwords only', async () => {
    const uma = member('uma', 'idm_unix_admins');
    t.dir.setAccountPosix(uma, 'person', 'alice', { shell: '/bin/zsh' });
    t.dir.setGroupPosix(uma, 'devs', {});
    await t.dir.setUnixPassword(uma, 'person', 'alice', 'a fine password');
    expect(errorCode(() => t.dir.updateAccount(uma, 'person', 'alice', { displayname: 'X' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.addMembers(uma, 'devs', ['uma']))).toBe('forbidden');
  });

  it('idm_service_account_admins manage service accounts and their tokens only', () => {
    const sam = member('sam', 'idm_service_account_admins');
    t.dir.createAccount(sam, 'service_account', { name: 'ci', displayname: 'CI' });
    const token = t.dir.createApiToken(sam, 'ci', { label: 'deploy', read_write: true });
    expect(t.dir.listApiTokens(sam, 'ci')).toHaveLength(1);
    t.dir.destroyApiToken(sam, 'ci', token.id);
    t.dir.addSshKey(sam, 'service_account', 'ci', 'k', key);
    expect(errorCode(() => t.dir.createAccount(sam, 'person', { name: 'eve', displayname: 'Eve' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.createApiToken(sam, 'idm_admin', { label: 'steal' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.createApiToken(sam, 'admin', { label: 'steal' }))).toBe('forbidden');
  });

  it('rights flow through nested groups', () => {
    t.dir.createGroup(t.admin, { name: 'helpdesk' });
    t.dir.addMembers(t.admin, 'idm_people_admins', ['helpdesk']);
    const hal = member('hal', 'helpdesk');
    expect(t.dir.createAccount(hal, 'person', { name: 'eve', displayname: 'Eve' }).changed).toBe(true);
  });
});

describe('privilege escalation', () => {
  it('nobody but system_admins changes the membership of built-in groups', () => {
    const gary = t.newAccount('gary');
    t.dir.addMembers(t.admin, 'idm_group_admins', ['gary']);
    expect(errorCode(() => t.dir.addMembers(gary, 'idm_admins', ['gary']))).toBe('forbidden');
    expect(errorCode(() => t.dir.addMembers(t.idmAdmin, 'idm_admins', ['alice']))).toBe('forbidden');
    expect(errorCode(() => t.dir.addMembers(t.idmAdmin, 'system_admins', ['idm_admin']))).toBe('forbidden');
    expect(errorCode(() => t.dir.removeMembers(t.idmAdmin, 'system_admins', ['admin']))).toBe('forbidden');
    expect(t.dir.addMembers(t.admin, 'idm_unix_admins', ['alice']).changed).toBe(true);
  });

  it('a group nested in a built-in group is guarded like it', () => {
    const gary = t.newAccount('gary');
    t.dir.addMembers(t.admin, 'idm_group_admins', ['gary']);
    t.dir.createGroup(t.admin, { name: 'admins_inner' });
    t.dir.addMembers(t.admin, 'idm_admins', ['admins_inner']);
    expect(errorCode(() => t.dir.addMembers(gary, 'admins_inner', ['gary']))).toBe('forbidden');
    expect(errorCode(() => t.dir.deleteGroup(gary, 'admins_inner'))).toBe('forbidden');
    expect(t.dir.groupsOf(gary.uuid)).toEqual(['idm_group_admins']);
  });

  it('only system_admins change administrator and built-in accounts', async () => {
    const boss = t.newAccount('boss');
    t.dir.addMembers(t.admin, 'idm_admins', ['boss']);
    const pat = t.newAccount('pat');
    t.dir.addMembers(t.admin, 'idm_people_admins', ['pat']);
    expect(errorCode(() => t.dir.updateAccount(pat, 'person', 'boss', { locked: true }))).toBe('forbidden');
    expect(errorCode(() => t.dir.deleteAccount(pat, 'person', 'boss'))).toBe('forbidden');
    expect(errorCode(() => t.dir.addSshKey(pat, 'person', 'boss', 'k', key))).toBe('forbidden');
    expect(errorCode(() => t.dir.updateAccount(t.idmAdmin, 'person', 'boss', { displayname: 'B' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.updateAccount(t.idmAdmin, 'service_account', 'admin', { displayname: 'A' }))).toBe('forbidden');
    expect(errorCode(() => t.dir.setAccountPosix(t.idmAdmin, 'service_account', 'idm_admin', {}))).toBe('forbidden');
    t.dir.setAccountPosix(t.admin, 'person', 'boss', {});
    expect(await errorCodeAsync(() => t.dir.setUnixPassword(t.idmAdmin, 'person', 'boss', 'take over boss'))).toBe('forbidden');
    // …but the administrator still manages their own keys.
    expect(t.dir.addSshKey(boss, 'person', 'boss', 'k', key).changed).toBe(true);
    // system_admins may.
    expect(t.dir.updateAccount(t.admin, 'person', 'boss', { displayname: 'The Boss' }).displayname).toBe('The Boss');
  });

  it('holders of delegated rights are managed by idm_admins and system_admins, not by peers', () => {
    const sam = t.newAccount('sam');
    t.dir.addMembers(t.admin, 'idm_service_account_admins', ['sam']);
    t.dir.addMembers(t.admin, 'idm_group_admins', ['bot']);
    expect(errorCode(() => t.dir.createApiToken(sam, 'bot', { label: 'become a group admin', read_write: true }))).toBe('forbidden');
    const pat = t.newAccount('pat');
    const pam = t.newAccount('pam');
    t.dir.addMembers(t.admin, 'idm_people_admins', ['pat', 'pam']);
    expect(errorCode(() => t.dir.updateAccount(pat, 'person', 'pam', { locked: true }))).toBe('forbidden');
    expect(t.dir.actorFor(pam.uuid, true)).not.toBeNull();
    expect(t.dir.createApiToken(t.admin, 'bot', { label: 'ok' }).label).toBe('ok');
    expect(t.dir.createApiToken(t.idmAdmin, 'bot', { label: 'by idm_admin' }).label).toBe('by idm_admin');
    expect(t.dir.updateAccount(t.idmAdmin, 'person', 'pam', { displayname: 'Pam' }).displayname).toBe('Pam');
  });

  it('built-in entries are refused with builtin only after the rights check', () => {
    expect(errorCode(() => t.dir.deleteGroup(mallory, 'idm_admins'))).toBe('forbidden');
    expect(errorCode(() => t.dir.deleteGroup(t.admin, 'idm_admins'))).toBe('builtin');
    expect(errorCode(() => t.dir.deleteAccount(t.idmAdmin, 'service_account', 'admin'))).toBe('forbidden');
    expect(errorCode(() => t.dir.deleteAccount(t.admin, 'service_account', 'admin'))).toBe('builtin');
  });
});
