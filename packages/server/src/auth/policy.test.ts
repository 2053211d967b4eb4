/**
 * Account policy on groups, end to end: who may set it, the strictest value among a person's
 * (nested) groups, and its effect at sign-in and when credentials change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardError } from '@ward/proto';
import { adminToken, login, rawRequest, softAuthenticator, startTestServer, type TestServer } from '../testing/index.js';
import { createPerson, cuService, enrol, nextCode, passkeySignIn, passwordStep, resetToken, step } from './test-support.js';

let srv: TestServer;
let admin: string;

const policy = (group: string, json: Record<string, unknown>, token = admin) =>
  rawRequest(srv, { method: 'PATCH', path: `/v1/group/${group}/account_policy`, token, json });

async function errorOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return e instanceof WardError ? `${e.code}: ${e.message}` : String(e);
  }
  return 'no error';
}

beforeAll(async () => {
  srv = await startTestServer();
  admin = await adminToken(srv);
});
afterAll(() => srv?.close());

describe('setting a policy', () => {
  it('is for identity admins; built-in groups need system_admins; null removes a value', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: 'staff' } });
    const set = await policy('staff', { credential_type_minimum: 'mfa', auth_expiry: 3600 });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ group: 'staff', credential_type_minimum: 'mfa', auth_expiry: 3600, password_minimum_length: null });
    const cleared = await policy('staff', { credential_type_minimum: null, password_minimum_length: 12 });
    expect(cleared.json).toEqual({ group: 'staff', credential_type_minimum: null, auth_expiry: 3600, password_minimum_length: 12 });
    expect((await rawRequest(srv, { path: '/v1/group/staff/account_policy', token: admin })).json).toEqual(cleared.json);
    await policy('staff', { auth_expiry: null, password_minimum_length: null });

    expect((await policy('idm_admins', { credential_type_minimum: 'mfa' })).status).toBe(403);
    const root = await adminToken(srv, 'admin');
    expect((await policy('idm_admins', { auth_expiry: 7200 }, root)).status).toBe(200);
    await policy('idm_admins', { auth_expiry: null }, root);

    await createPerson(srv, admin, 'pia');
    await enrol(srv, admin, 'pia', { password: 'copper kettle 42' });
    expect((await policy('staff', { auth_expiry: 60 }, await login(srv, 'pia', 'copper kettle 42'))).status).toBe(403);
  });

  it('refuses values out of range and unknown keys', async () => {
    for (const body of [{ credential_type_minimum: 'strong' }, { auth_expiry: 10 }, { password_minimum_length: 4 }, { password_minimum_length: 300 }, {}, { other: 1 }]) {
      expect((await policy('staff', body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('at sign-in', () => {
  it('mfa: a password alone is refused, a password and a TOTP or a passkey pass', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: 'secure' } });
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: 'inner' } });
    await rawRequest(srv, { method: 'POST', path: '/v1/group/secure/members', token: admin, json: { members: ['inner'] } });
    await createPerson(srv, admin, 'mo', 'Mo Ali');
    await enrol(srv, admin, 'mo', { password: 'saffron bridge 9' });
    await rawRequest(srv, { method: 'POST', path: '/v1/group/inner/members', token: admin, json: { members: ['mo'] } });
    await policy('secure', { credential_type_minimum: 'mfa' }); // through the nested group

    const denied = await passwordStep(srv, 'mo', 'saffron bridge 9');
    expect(denied.status).toBe(403);
    expect(denied.json.message).toMatch(/requires a second factor/);
    expect((await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'mo', password: 'saffron bridge 9' } })).status).toBe(403);

    // Committing a set without a second factor is refused too.
    const cu = cuService(srv);
    const s = cu.beginWithResetToken(await resetToken(srv, admin, 'mo'));
    expect(s.policy).toEqual({ credentialTypeMinimum: 'mfa', passwordMinimumLength: 8 });
    expect(s.problems[0]).toMatch(/requires two factors/);
    expect(await errorOf(() => cu.commit(s.id))).toMatch(/conflict: the account policy requires two factors/);
    cu.cancel(s.id);

    const { totpSecret } = await enrol(srv, admin, 'mo', { totp: true });
    const r = await passwordStep(srv, 'mo', 'saffron bridge 9');
    expect((await step(srv, r.json.session, { kind: 'totp', code: nextCode(totpSecret!) })).json.state).toBe('success');

    const authn = softAuthenticator({ origin: srv.origin });
    await enrol(srv, admin, 'mo', { passkey: authn });
    expect((await passkeySignIn(srv, authn)).json.state).toBe('success');
  });

  it('passkey: only a passkey signs in, and commit needs one', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: 'keyonly' } });
    await policy('keyonly', { credential_type_minimum: 'passkey' });
    await createPerson(srv, admin, 'kai', 'Kai Berg', ['keyonly']);
    const cu = cuService(srv);
    const s = cu.beginWithResetToken(await resetToken(srv, admin, 'kai'));
    await cu.setPassword(s.id, 'meadow lark 3000');
    expect(await errorOf(() => cu.commit(s.id))).toMatch(/requires a passkey/);
    const authn = softAuthenticator({ origin: srv.origin });
    await cu.passkeyFinish(s.id, 'phone', authn.register(await cu.passkeyInit(s.id)));
    await cu.commit(s.id);
    const pw = await passwordStep(srv, 'kai', 'meadow lark 3000');
    expect(pw.status).toBe(403);
    expect(pw.json.message).toMatch(/requires a passkey/);
    expect((await passkeySignIn(srv, authn, 'kai')).json.state).toBe('success');
  });

  it('the strictest minimum length and the shortest auth expiry apply', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: 'long1' } });
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: 'long2' } });
    await policy('long1', { password_minimum_length: 12, auth_expiry: 7200 });
    await policy('long2', { password_minimum_length: 16, auth_expiry: 600 });
    await createPerson(srv, admin, 'lu', 'Lu Chen', ['long1', 'long2']);
    const cu = cuService(srv);
    const s = cu.beginWithResetToken(await resetToken(srv, admin, 'lu'));
    expect(s.policy.passwordMinimumLength).toBe(16);
    expect(await errorOf(() => cu.setPassword(s.id, 'fifteen chars!!'))).toMatch(/invalid_password: .*at least 16/);
    await cu.setPassword(s.id, 'sixteen chars!!!');
    await cu.commit(s.id);
    const before = Date.now();
    const r = await passwordStep(srv, 'lu', 'sixteen chars!!!');
    const lifetime = Date.parse(r.json.expires_at) - before;
    expect(lifetime).toBeGreaterThan(595_000);
    expect(lifetime).toBeLessThanOrEqual(605_000);
  });

  it('does not apply to service accounts, so recover-account always lets an administrator in', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/group/keyonly/members', token: await adminToken(srv, 'admin'), json: { members: ['idm_admin'] } });
    expect(await adminToken(srv)).toMatch(/\./);
  });
});
