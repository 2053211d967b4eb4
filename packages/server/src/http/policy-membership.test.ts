/**
 * Membership that lifts or imposes an account policy, seen from the outside. Removing a person
 * from a group that demands MFA lets them sign in with a password alone; adding administrators
 * to a group that demands passkeys, or nesting a built-in admin group into it, can lock
 * administrators out. So the membership of a group that carries a policy (itself or through a
 * group it sits in) needs the right to change that policy (idm_admins; system_admins when the
 * change touches administrators), and nesting a built-in group anywhere needs system_admins.
 * Each refusal is a 403 saying why, and the directory stays as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, login, rawRequest, startTestServer, type RawRequest, type TestServer } from '../testing/index.js';

let srv: TestServer;
const tokens: Record<string, string> = {};
const as = (who: string, req: RawRequest) => rawRequest(srv, { token: tokens[who]!, ...req });
const members = async (group: string): Promise<string[]> => (await as('admin', { path: `/v1/group/${group}/members` })).json.direct;

beforeAll(async () => {
  srv = await startTestServer();
  tokens.idm_admin = await adminToken(srv, 'idm_admin');
  tokens.admin = await adminToken(srv, 'admin');
  for (const req of [
    ...['carol', 'dave', 'erin', 'sam'].map((name) => ({ method: 'POST', path: '/v1/person', json: { name, displayname: name } })),
    ...['mfa_users', 'inner', 'plain'].map((name) => ({ method: 'POST', path: '/v1/group', json: { name } })),
    { method: 'PATCH', path: '/v1/group/mfa_users/account_policy', json: { credential_type_minimum: 'mfa' } },
    { method: 'POST', path: '/v1/group/mfa_users/members', json: { members: ['dave', 'inner'] } },
    { method: 'POST', path: '/v1/group/inner/members', json: { members: ['erin'] } },
    // carol manages groups; sam is a system administrator.
    { method: 'POST', path: '/v1/group/idm_group_admins/members', json: { members: ['carol'] } },
    { method: 'POST', path: '/v1/group/system_admins/members', json: { members: ['sam'] } },
  ] satisfies RawRequest[]) {
    const res = await as('admin', req);
    expect(res.status, `${req.method} ${req.path}: ${res.text}`).toBeLessThan(300);
  }
  await srv.directory!.setPrimaryPassword('carol', 'carol-secret-password');
  tokens.carol = await login(srv, 'carol', 'carol-secret-password');
});
afterAll(() => srv?.close());

async function refused(who: string, req: RawRequest, message: RegExp): Promise<void> {
  const before = await Promise.all(['mfa_users', 'inner', 'plain'].map(members));
  const res = await as(who, req);
  expect(res.status, res.text).toBe(403);
  expect(res.json.error).toBe('forbidden');
  expect(res.json.message).toMatch(message);
  expect(await Promise.all(['mfa_users', 'inner', 'plain'].map(members))).toEqual(before);
}

describe('a group manager', () => {
  it('may not lift a policy by removing a member, nor impose it by adding one', async () => {
    await refused('carol', { method: 'DELETE', path: '/v1/group/mfa_users/members', json: { members: ['dave'] } }, /"mfa_users" carries an account policy; only members of idm_admins/);
    await refused('carol', { method: 'POST', path: '/v1/group/mfa_users/members', json: { members: ['carol'] } }, /"mfa_users" carries an account policy/);
    await refused('carol', { method: 'PUT', path: '/v1/group/mfa_users/members', json: { members: [] } }, /"mfa_users" carries an account policy/);
  });

  it('may not lift a policy by deleting the group', async () => {
    await refused('carol', { method: 'DELETE', path: '/v1/group/mfa_users' }, /"mfa_users" carries an account policy/);
    await refused('carol', { method: 'DELETE', path: '/v1/group/inner' }, /"inner" is under the account policy of "mfa_users"/);
    expect((await as('admin', { path: '/v1/group/inner' })).status).toBe(200);
  });

  it('may not change a group that passes on a policy through the group it sits in', async () => {
    await refused('carol', { method: 'DELETE', path: '/v1/group/inner/members', json: { members: ['erin'] } }, /"inner" is under the account policy of "mfa_users"/);
  });

  it('may not nest a built-in group anywhere, and still manages ordinary groups', async () => {
    await refused('carol', { method: 'POST', path: '/v1/group/plain/members', json: { members: ['idm_admins'] } }, /built-in group "idm_admins"; only members of system_admins/);
    expect((await as('carol', { method: 'POST', path: '/v1/group/plain/members', json: { members: ['dave'] } })).status).toBe(200);
    expect(await members('plain')).toEqual(['dave']);
  });
});

describe('idm_admin', () => {
  it('may not nest system_admins into a policy group, or put an administrator under a policy', async () => {
    await refused('idm_admin', { method: 'POST', path: '/v1/group/mfa_users/members', json: { members: ['system_admins'] } }, /built-in group "system_admins"; only members of system_admins/);
    await refused('idm_admin', { method: 'POST', path: '/v1/group/plain/members', json: { members: ['idm_admins'] } }, /built-in group "idm_admins"/);
    await refused('idm_admin', { method: 'POST', path: '/v1/group/inner/members', json: { members: ['sam'] } }, /"sam" holds administrative rights; only members of system_admins/);
  });

  it('may change the membership of a policy group that touches no administrator', async () => {
    expect((await as('idm_admin', { method: 'DELETE', path: '/v1/group/mfa_users/members', json: { members: ['dave'] } })).status).toBe(200);
    expect((await as('idm_admin', { method: 'POST', path: '/v1/group/mfa_users/members', json: { members: ['dave'] } })).status).toBe(200);
  });
});

describe('a system administrator', () => {
  it('may do all of it', async () => {
    expect((await as('admin', { method: 'POST', path: '/v1/group/plain/members', json: { members: ['idm_admins'] } })).status).toBe(200);
    expect((await as('admin', { method: 'DELETE', path: '/v1/group/plain/members', json: { members: ['idm_admins'] } })).status).toBe(200);
    expect((await as('admin', { method: 'POST', path: '/v1/group/inner/members', json: { members: ['sam'] } })).status).toBe(200);
  });
});
