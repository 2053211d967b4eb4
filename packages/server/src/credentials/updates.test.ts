/**
 * Credential update sessions and reset tokens on a real server: who may make a reset link, that
 * it works once and expires, that changes are staged until commit, the quality rules, and the
 * self-service path with its recent-sign-in rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardError } from '@ward/proto';
import type { SqliteDirectory } from '../directory/directory.js';
import { adminToken, login, rawRequest, softAuthenticator, startTestServer, type TestServer } from '../testing/index.js';
import { createPerson, cuService, enrol, passwordStep, resetToken } from '../auth/test-support.js';
import { base32Decode, totpCode } from './totp.js';

let srv: TestServer;
let admin: string;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof WardError ? e.code : String(e);
  }
  return undefined;
}
async function codeAsync(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return e instanceof WardError ? `${e.code}: ${e.message}` : String(e);
  }
  return undefined;
}
const db = () => (srv.directory as SqliteDirectory).db;

beforeAll(async () => {
  srv = await startTestServer();
  admin = await adminToken(srv);
  await createPerson(srv, admin, 'ada', 'Ada Lovelace');
});
afterAll(() => srv?.close());

describe('reset tokens', () => {
  it('are made by identity admins, as a link on the origin, expiring in 1 h by default', async () => {
    const before = Date.now();
    const r = await rawRequest(srv, { method: 'POST', path: '/v1/person/ada/credential/reset_token', token: admin, json: {} });
    expect(r.status).toBe(201);
    expect(r.json.url).toBe(`${srv.origin}/ui/reset?token=${r.json.token}`);
    const expires = Date.parse(r.json.expires_at);
    expect(expires - before).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(3600_000 + 5000);
    // Only the hash is stored.
    const stored = db().prepare('SELECT token_hash FROM reset_tokens').pluck().all() as string[];
    expect(stored).not.toContain(r.json.token);
  });

  it('refuse a lifetime over 24 h, a person without rights, anonymous and service accounts', async () => {
    const long = await rawRequest(srv, { method: 'POST', path: '/v1/person/ada/credential/reset_token', token: admin, json: { ttl: 86401 } });
    expect(long.status).toBe(400);
    await createPerson(srv, admin, 'bob', 'Bob Stone');
    await enrol(srv, admin, 'bob', { password: 'granite lantern 5' });
    const bob = await login(srv, 'bob', 'granite lantern 5');
    expect((await rawRequest(srv, { method: 'POST', path: '/v1/person/ada/credential/reset_token', token: bob, json: {} })).status).toBe(403);
    expect((await rawRequest(srv, { method: 'POST', path: '/v1/person/bob/credential/reset_token', token: bob, json: {} })).status).toBe(403);
    expect((await rawRequest(srv, { method: 'POST', path: '/v1/person/ada/credential/reset_token', json: {} })).status).toBe(401);
    expect((await rawRequest(srv, { method: 'POST', path: '/v1/person/idm_admin/credential/reset_token', token: admin, json: {} })).status).toBe(404);
  });

  it('work once, and not after they expire', async () => {
    const cu = cuService(srv);
    const token = await resetToken(srv, admin, 'ada');
    const s = cu.beginWithResetToken(token);
    expect(s.account).toEqual({ name: 'ada', spn: 'ada@ward.test', displayname: 'Ada Lovelace' });
    cu.cancel(s.id);
    expect(code(() => cu.beginWithResetToken(token))).toBe('not_found');
    const old = await resetToken(srv, admin, 'ada');
    db().prepare('UPDATE reset_tokens SET expires_at = 1').run();
    expect(code(() => cu.beginWithResetToken(old))).toBe('not_found');
    expect(code(() => cu.beginWithResetToken(''))).toBe('not_found');
  });
});

describe('a credential update session', () => {
  it('stages changes until commit, and cancel drops them', async () => {
    const cu = cuService(srv);
    const s = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    expect(s).toMatchObject({ password: false, totp: [], passkeys: [], backupCodesRemaining: 0, canCommit: false });
    expect(s.problems[0]).toMatch(/set a password or add a passkey/);
    const staged = await cu.setPassword(s.id, 'analytical engine 1843');
    expect(staged).toMatchObject({ password: true, canCommit: true, problems: [] });
    expect((await passwordStep(srv, 'ada', 'analytical engine 1843')).status).toBe(401);
    cu.cancel(s.id);
    expect(code(() => cu.status(s.id))).toBe('not_found');
    expect((await passwordStep(srv, 'ada', 'analytical engine 1843')).status).toBe(401);
  });

  it('applies the quality rules to a new password', async () => {
    const cu = cuService(srv);
    const { id } = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    expect(await codeAsync(() => cu.setPassword(id, 'short'))).toMatch(/invalid_password: .*at least 8/);
    expect(await codeAsync(() => cu.setPassword(id, 'qwertyuiop'))).toMatch(/invalid_password: .*most common/);
    expect(await codeAsync(() => cu.setPassword(id, 'i-am-lovelace-99'))).toMatch(/invalid_password: .*your name/);
    expect(await codeAsync(() => cu.commit(id))).toMatch(/conflict/);
    cu.cancel(id);
  });

  it('enrols a TOTP only with a right code, and backup codes only with a TOTP', async () => {
    const cu = cuService(srv);
    const { id } = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    expect(await codeAsync(() => cu.backupCodesGenerate(id))).toMatch(/conflict: .*enrol a TOTP first/);
    expect(code(() => cu.totpVerify(id, 'phone', '123456'))).toBe('conflict');
    const e = cu.totpInit(id);
    expect(e.uri).toMatch(/^otpauth:\/\/totp\/Ward%20ward\.test:ada%40ward\.test\?secret=[A-Z2-7]{32}&/);
    expect(e.qrSvg).toMatch(/^<svg [^>]*><rect [^>]*\/><path fill="#000" d="M/);
    const secret = base32Decode(e.secret)!;
    const wrong = String((Number(totpCode(secret, Date.now())) + 1) % 1_000_000).padStart(6, '0');
    expect(code(() => cu.totpVerify(id, 'phone', wrong))).toBe('invalid_attribute');
    const s = cu.totpVerify(id, 'phone', totpCode(secret, Date.now()));
    expect(s.totp).toEqual([{ label: 'phone' }]);
    expect(code(() => cu.totpVerify(id, 'phone', totpCode(secret, Date.now())))).toBe('conflict');
    const codes = await cu.backupCodesGenerate(id);
    expect(codes).toHaveLength(10);
    expect(codes[0]).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(cu.status(id).backupCodesRemaining).toBe(10);
    expect(cu.totpRemove(id, 'phone')).toMatchObject({ totp: [], backupCodesRemaining: 0 });
    cu.cancel(id);
  });

  it('refuses a passkey registration without user verification, and two passkeys of one name', async () => {
    const cu = cuService(srv);
    const { id } = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    const lazy = softAuthenticator({ origin: srv.origin, userVerified: false });
    expect(await codeAsync(async () => cu.passkeyFinish(id, 'key', lazy.register(await cu.passkeyInit(id))))).toMatch(/invalid_attribute/);
    const authn = softAuthenticator({ origin: srv.origin });
    await cu.passkeyFinish(id, 'key', authn.register(await cu.passkeyInit(id)));
    expect(await codeAsync(async () => cu.passkeyFinish(id, 'key', authn.register(await cu.passkeyInit(id))))).toMatch(/conflict: .*named "key"/);
    const two = await cu.passkeyFinish(id, 'phone', authn.register(await cu.passkeyInit(id)));
    expect(two.passkeys.map((p) => p.name)).toEqual(['key', 'phone']);
    // The registration challenge is single use.
    expect(await codeAsync(() => cu.passkeyFinish(id, 'third', authn.register({ ...two, challenge: 'AAAA', rp: { id: 'ward.test', name: 'x' }, user: { id: 'AAAA', name: 'x', displayName: 'x' }, pubKeyCredParams: [] } as never)))).toMatch(/conflict: start a passkey registration first/);
    const removed = cu.passkeyRemove(id, two.passkeys[0]!.id);
    expect(removed.passkeys.map((p) => p.name)).toEqual(['phone']);
    cu.cancel(id);
  });

  it('commits everything at once, ends other sessions on a new password, and refuses a stale set', async () => {
    const cu = cuService(srv);
    await enrol(srv, admin, 'ada', { password: 'analytical engine 1843' });
    const token = await login(srv, 'ada', 'analytical engine 1843');
    const a = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    // A newer link ends the update the earlier one opened.
    const b = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    expect(await codeAsync(() => cu.setPassword(a.id, 'jacquard loom cards'))).toMatch(/^not_found: /);
    await cu.setPassword(b.id, 'difference engine 1822');
    await cu.commit(b.id);
    expect((await rawRequest(srv, { path: '/v1/auth/whoami', token })).status).toBe(401);
    expect(await login(srv, 'ada', 'difference engine 1822')).toMatch(/\./);
    // The credentials change by another way while an update is open: its commit is refused.
    const c = cu.beginWithResetToken(await resetToken(srv, admin, 'ada'));
    await srv.directory!.setPrimaryPassword('ada', 'babbage engine 1837');
    await cu.setPassword(c.id, 'jacquard loom cards');
    expect(await codeAsync(() => cu.commit(c.id))).toMatch(/conflict: .*changed meanwhile/);
  });
});

describe('self-service', () => {
  it('opens for a fresh sign-in, keeps the own session on a new password, and asks to sign in again later', async () => {
    const cu = cuService(srv);
    await createPerson(srv, admin, 'sam', 'Sam Reyes');
    await enrol(srv, admin, 'sam', { password: 'harbour lights 12' });
    const r = await passwordStep(srv, 'sam', 'harbour lights 12');
    const other = await login(srv, 'sam', 'harbour lights 12');
    const ctx = await srv.app!.wardTokens.verify(r.json.token);
    const s = cu.beginForSelf(ctx.actor, r.json.session_id);
    await cu.setPassword(s.id, 'harbour lights 13');
    await cu.commit(s.id);
    expect((await rawRequest(srv, { path: '/v1/auth/whoami', token: r.json.token })).status).toBe(200);
    expect((await rawRequest(srv, { path: '/v1/auth/whoami', token: other })).status).toBe(401);
    db().prepare('UPDATE sessions SET created_at = created_at - 601000 WHERE id = ?').run(r.json.session_id);
    expect(code(() => cu.beginForSelf(ctx.actor, r.json.session_id))).toBe('unauthenticated');
    const bob = await srv.app!.wardTokens.verify(await login(srv, 'bob', 'granite lantern 5'));
    expect(code(() => cu.beginForSelf(ctx.actor, bob.kind === 'session' ? bob.sessionId : ''))).toBe('unauthenticated');
  });
});
