import argon2 from 'argon2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD_HASH_OPTIONS, passwordProblem } from './password.js';
import { errorCode, errorCodeAsync, openTestDirectory, type TestDirectory } from './test-support.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

const storedHash = (name: string, type: string): string =>
  t.dir.db
    .prepare('SELECT c.hash FROM credentials c JOIN entries e ON e.uuid = c.account_uuid WHERE e.name = ? AND c.type = ?')
    .pluck()
    .get(name, type) as string;

describe('primary passwords', () => {
  it('hash with argon2id at the OWASP minimum and verify by name, spn or uuid', async () => {
    const alice = t.newAccount('alice');
    await t.dir.setPrimaryPassword('alice', 'correct horse battery');
    expect(storedHash('alice', 'primary')).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    for (const ref of ['alice', 'alice@example.test', alice.uuid]) {
      expect(await t.dir.verifyPassword(ref, 'correct horse battery')).toEqual({
        uuid: alice.uuid, name: 'alice', spn: 'alice@example.test', kind: 'person',
      });
    }
    expect(await t.dir.verifyPassword('alice', 'wrong horse battery')).toBeNull();
    expect(await t.dir.verifyPassword('nobody', 'correct horse battery')).toBeNull();
    expect(await t.dir.verifyPassword('idm_admins', 'correct horse battery')).toBeNull();
  });

  it('enforce the length policy and never store a refused password', async () => {
    t.newAccount('alice');
    expect(await errorCodeAsync(() => t.dir.setPrimaryPassword('alice', 'short'))).toBe('invalid_password');
    expect(await errorCodeAsync(() => t.dir.setPrimaryPassword('alice', 'x'.repeat(1025)))).toBe('invalid_password');
    expect(await errorCodeAsync(() => t.dir.setPrimaryPassword('alice', 'ALICE'.padEnd(5)))).toBe('invalid_password');
    expect(await errorCodeAsync(() => t.dir.setPrimaryPassword('nobody', 'long enough password'))).toBe('not_found');
    expect(storedHash('alice', 'primary')).toBeUndefined();
    expect(passwordProblem('        ')).toMatch(/whitespace/);
    expect(passwordProblem('alicealice', 'alicealice')).toMatch(/account name/);
    expect(passwordProblem('é'.repeat(8))).toBeUndefined();
  });

  it('upgrade a hash with older parameters at the next good login', async () => {
    const alice = t.newAccount('alice');
    const weak = await argon2.hash('correct horse battery', { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    t.dir.db.prepare("INSERT INTO credentials VALUES (?, 'primary', ?, 0)").run(alice.uuid, weak);
    expect(await t.dir.verifyPassword('alice', 'wrong password here')).toBeNull();
    expect(storedHash('alice', 'primary')).toBe(weak);
    expect(await t.dir.verifyPassword('alice', 'correct horse battery')).not.toBeNull();
    const upgraded = storedHash('alice', 'primary');
    expect(upgraded).not.toBe(weak);
    expect(argon2.needsRehash(upgraded, PASSWORD_HASH_OPTIONS)).toBe(false);
    expect(await t.dir.verifyPassword('alice', 'correct horse battery')).not.toBeNull();
  });

  it('end every session when the password is recovered', async () => {
    const alice = t.newAccount('alice');
    const session = t.dir.createSession(alice.uuid, 600, 'x');
    await t.dir.setPrimaryPassword('alice', 'a brand new password');
    expect(t.dir.getSession(session.id)).toBeUndefined();
  });
});

describe('unix passwords', () => {
  it('are separate from the primary password and need POSIX', async () => {
    t.newAccount('alice');
    await t.dir.setPrimaryPassword('alice', 'primary password one');
    expect(await errorCodeAsync(() => t.dir.setUnixPassword(t.admin, 'person', 'alice', 'unix password two'))).toBe('conflict');
    t.dir.setAccountPosix(t.admin, 'person', 'alice', {});
    await t.dir.setUnixPassword(t.admin, 'person', 'alice', 'unix password two');
    expect(t.dir.getAccount(t.admin, 'person', 'alice').has_unix_password).toBe(true);
    const account = await t.dir.verifyUnixPassword('alice', 'unix password two');
    expect(account).toMatchObject({ name: 'alice', uidnumber: 65536 });
    expect(await t.dir.verifyUnixPassword(String(account!.uidnumber), 'unix password two')).not.toBeNull();
    expect(await t.dir.verifyUnixPassword('alice', 'primary password one')).toBeNull();
    expect(await t.dir.verifyPassword('alice', 'unix password two')).toBeNull();
    expect(await t.dir.verifyUnixPassword('nobody', 'unix password two')).toBeNull();
    expect(await errorCodeAsync(() => t.dir.setUnixPassword(t.admin, 'person', 'alice', 'short'))).toBe('invalid_password');
    t.dir.updateAccount(t.admin, 'person', 'alice', { locked: true });
    expect(await t.dir.verifyUnixPassword('alice', 'unix password two')).toBeNull();
  });
});

describe('sessions', () => {
  it('are created, listed, read and revoked; only live ones are returned', () => {
    const alice = t.newAccount('alice');
    const bob = t.newAccount('bob');
    const s1 = t.dir.createSession(alice.uuid, 600, '10.0.0.1\u0000evil');
    expect(s1.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(s1).toMatchObject({ accountUuid: alice.uuid, source: '10.0.0.1 evil', revoked: false });
    expect(s1.expiresAt - s1.createdAt).toBe(600_000);
    const s2 = t.dir.createSession(alice.uuid, 600, 'cli');
    expect(t.dir.listSessions(alice.uuid).map((s) => s.id).sort()).toEqual([s1.id, s2.id].sort());
    expect(t.dir.revokeSession(bob.uuid, s1.id)).toEqual({ changed: false });
    expect(t.dir.revokeSession(alice.uuid, s1.id)).toEqual({ changed: true });
    expect(t.dir.revokeSession(alice.uuid, s1.id)).toEqual({ changed: false });
    expect(t.dir.getSession(s1.id)).toBeUndefined();
    expect(t.dir.getSession(s2.id)).toMatchObject({ id: s2.id });
    t.dir.db.prepare('UPDATE sessions SET expires_at = 1 WHERE id = ?').run(s2.id);
    expect(t.dir.getSession(s2.id)).toBeUndefined();
    expect(t.dir.listSessions(alice.uuid)).toEqual([]);
    expect(errorCode(() => t.dir.createSession(alice.uuid, 0, 'x'))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.createSession('no-such-uuid', 60, 'x'))).toBe('not_found');
  });
});

describe('API tokens', () => {
  it('belong to service accounts and are managed by their admins', () => {
    const bot = t.newAccount('bot', 'service_account');
    const token = t.dir.createApiToken(t.idmAdmin, 'bot', { label: 'ci', read_write: true, expires_in: 3600 });
    expect(token).toMatchObject({ accountUuid: bot.uuid, label: 'ci', readWrite: true });
    expect(token.expiresAt! - token.createdAt).toBe(3_600_000);
    const readOnly = t.dir.createApiToken(t.idmAdmin, 'bot', { label: 'monitor' });
    expect(readOnly).toMatchObject({ readWrite: false, expiresAt: null });
    expect(t.dir.getApiToken(token.id)).toEqual(token);
    expect(t.dir.listApiTokens(t.idmAdmin, 'bot').map((x) => x.label)).toEqual(['ci', 'monitor']);
    expect(t.dir.destroyApiToken(t.idmAdmin, 'bot', token.id)).toEqual({ changed: true });
    expect(t.dir.destroyApiToken(t.idmAdmin, 'bot', token.id)).toEqual({ changed: false });
    expect(t.dir.getApiToken(token.id)).toBeUndefined();
    t.dir.db.prepare('UPDATE api_tokens SET expires_at = 1 WHERE id = ?').run(readOnly.id);
    expect(t.dir.getApiToken(readOnly.id)).toBeUndefined();

    t.newAccount('alice');
    expect(errorCode(() => t.dir.createApiToken(t.admin, 'alice', { label: 'x' }))).toBe('not_found');
    expect(errorCode(() => t.dir.createApiToken(t.admin, 'anonymous', { label: 'x' }))).toBe('builtin');
    expect(errorCode(() => t.dir.createApiToken(t.admin, 'bot', { label: 'x', expires_in: 5 }))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.createApiToken(t.admin, 'bot', { label: 'bad\nlabel' }))).toBe('invalid_attribute');
  });

  it('stop working when their account is locked (actorFor)', () => {
    const bot = t.newAccount('bot', 'service_account');
    expect(t.dir.actorFor(bot.uuid, false)).toEqual({ uuid: bot.uuid, name: 'bot', kind: 'service_account', readWrite: false });
    t.dir.updateAccount(t.admin, 'service_account', 'bot', { locked: true });
    expect(t.dir.actorFor(bot.uuid, true)).toBeNull();
  });
});

describe('settings', () => {
  it('store small values and keep the directory\u2019s own keys out of reach', () => {
    expect(t.dir.getSetting('token.key')).toBeUndefined();
    t.dir.setSetting('token.key', 'v1');
    t.dir.setSetting('token.key', 'v2');
    expect(t.dir.getSetting('token.key')).toBe('v2');
    expect(errorCode(() => t.dir.setSetting('directory.posix_next_id', '1'))).toBe('invalid_attribute');
    expect(errorCode(() => t.dir.setSetting('', 'x'))).toBe('invalid_attribute');
  });
});
