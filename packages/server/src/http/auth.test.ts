/**
 * Login, logout, sessions, bearer tokens and API tokens against a real server: what a client sees
 * for good and for missing, forged, expired, revoked and read-only tokens.
 */
import { SignJWT, generateKeyPair, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, login, rawRequest, startTestServer, type TestServer } from '../testing/index.js';
import { SIGNING_KEY_SETTING } from './tokens.js';

let srv: TestServer;
let idmAdmin: string;
let idmAdminPassword: string;

beforeAll(async () => {
  srv = await startTestServer();
  idmAdminPassword = await srv.recover('idm_admin');
  idmAdmin = await login(srv, 'idm_admin', idmAdminPassword);
});
afterAll(() => srv?.close());

const get = (path: string, token?: string) => rawRequest(srv, { path, ...(token !== undefined ? { token } : {}) });

describe('status', () => {
  it('answers without a token, with the security headers', async () => {
    const res = await get('/status');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', version: expect.any(String), domain: 'ward.test' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('password login', () => {
  it('returns a session token and nothing else', async () => {
    const res = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'idm_admin', password: idmAdminPassword } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['expires_at', 'name', 'session_id', 'spn', 'token']);
    expect(res.json).toMatchObject({ name: 'idm_admin', spn: 'idm_admin@ward.test' });
    const ttl = Date.parse(res.json.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(7.9 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(8 * 3600_000);
    const who = await get('/v1/auth/whoami', res.json.token);
    expect(who.json).toMatchObject({ name: 'idm_admin', spn: 'idm_admin@ward.test', kind: 'service_account', token_kind: 'session', read_write: true });
    expect(who.json.groups).toContain('idm_admins');
  });

  it('accepts the spn as the name', async () => {
    await expect(login(srv, 'idm_admin@ward.test', idmAdminPassword)).resolves.toEqual(expect.any(String));
  });

  it('answers a wrong password and an unknown name the same way', async () => {
    const wrong = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'idm_admin', password: 'not the password' } });
    const unknown = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'nobody', password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('auth_failed');
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual(wrong.json);
  });

  it('refuses accounts without a password (anonymous)', async () => {
    const res = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'anonymous', password: 'anything at all' } });
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('auth_failed');
  });

  it('validates the body', async () => {
    const res = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'idm_admin' } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'bad_request', message: 'body.password: is required' });
  });
});

describe('bearer tokens', () => {
  it('are required on token routes', async () => {
    const res = await get('/v1/person');
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('unauthenticated');
  });

  it('must be Bearer tokens', async () => {
    const res = await rawRequest(srv, { path: '/v1/person', headers: { authorization: 'Basic aWRtX2FkbWluOnB3' } });
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('unauthenticated');
  });

  it('refuses garbage', async () => {
    for (const token of ['x', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', '.'.repeat(5000)]) {
      const res = await get('/v1/auth/whoami', token);
      expect(res.status, token.slice(0, 20)).toBe(401);
      expect(res.json.error).toBe('token_invalid');
    }
  });

  it('refuses a token signed by another key', async () => {
    const session = (await get('/v1/auth/whoami', idmAdmin)).json;
    const { privateKey } = await generateKeyPair('ES256');
    const header = JSON.parse(Buffer.from(idmAdmin.split('.')[0]!, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(idmAdmin.split('.')[1]!, 'base64url').toString());
    const forged = await new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
    const res = await get('/v1/auth/whoami', forged);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('token_invalid');
    expect(session.name).toBe('idm_admin');
  });

  it('refuses a token whose claims were changed', async () => {
    const [h, p, s] = idmAdmin.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.exp += 3600;
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect((await get('/v1/auth/whoami', tampered)).json.error).toBe('token_invalid');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: JSON.parse(Buffer.from(h, 'base64url').toString()).typ })).toString('base64url')}.${p}.`;
    expect((await get('/v1/auth/whoami', none)).json.error).toBe('token_invalid');
  });

  it('refuses an expired token even with a valid signature and a live session', async () => {
    const jwk = JSON.parse(srv.directory!.getSetting(SIGNING_KEY_SETTING)!) as JWK;
    const key = await importJWK(jwk, 'ES256');
    const [h, p] = idmAdmin.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims, iat: now - 7200, exp: now - 3600 }).setProtectedHeader(header).sign(key);
    const fresh = await new SignJWT({ ...claims, iat: now }).setProtectedHeader(header).sign(key);
    expect((await get('/v1/auth/whoami', fresh)).status).toBe(200);
    const res = await get('/v1/auth/whoami', expired);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('token_invalid');
  });
});

describe('sessions', () => {
  it('lists, destroys and logs out', async () => {
    const a = await login(srv, 'idm_admin', idmAdminPassword);
    const b = await login(srv, 'idm_admin', idmAdminPassword);
    const list = (await get('/v1/sessions', a)).json as Array<{ id: string; current: boolean; source: string }>;
    const current = list.filter((s) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]!.source).toBe('127.0.0.1');
    const bId = JSON.parse(Buffer.from(b.split('.')[1]!, 'base64url').toString()).sid as string;
    expect(list.map((s) => s.id)).toContain(bId);

    const destroyed = await rawRequest(srv, { method: 'DELETE', path: `/v1/sessions/${bId}`, token: a });
    expect(destroyed.json).toEqual({ ok: true, changed: true });
    expect((await get('/v1/auth/whoami', b)).json.error).toBe('token_invalid');
    expect((await get('/v1/sessions', a)).json.map((s: { id: string }) => s.id)).not.toContain(bId);

    const out = await rawRequest(srv, { method: 'POST', path: '/v1/auth/logout', token: a });
    expect(out.json).toEqual({ ok: true, changed: true });
    const after = await get('/v1/auth/whoami', a);
    expect(after.status).toBe(401);
    expect(after.json.error).toBe('token_invalid');
    expect((await get('/v1/auth/whoami', idmAdmin)).status).toBe(200);
  });

  it('cannot end the session of another account', async () => {
    const adminTok = await adminToken(srv, 'admin');
    const sid = JSON.parse(Buffer.from(idmAdmin.split('.')[1]!, 'base64url').toString()).sid as string;
    const res = await rawRequest(srv, { method: 'DELETE', path: `/v1/sessions/${sid}`, token: adminTok });
    // The same answer as for an id that does not exist: nothing tells that this one does.
    const unknown = await rawRequest(srv, { method: 'DELETE', path: '/v1/sessions/no-such-session', token: adminTok });
    expect(unknown.status).toBe(404);
    expect(res.status).toBe(404);
    expect(res.json).toEqual(unknown.json);
    expect((await get('/v1/auth/whoami', idmAdmin)).status).toBe(200);
  });
});

describe('account state', () => {
  it('locking an account ends its sessions at once; unlocking lets it log in again', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/person', token: idmAdmin, json: { name: 'dora', displayname: 'Dora' } });
    await srv.directory!.setPrimaryPassword('dora', 'dora-password-1');
    const dora = await login(srv, 'dora', 'dora-password-1');
    expect((await get('/v1/auth/whoami', dora)).status).toBe(200);
    const lock = await rawRequest(srv, { method: 'PATCH', path: '/v1/person/dora', token: idmAdmin, json: { locked: true } });
    expect(lock.json.locked).toBe(true);
    expect((await get('/v1/auth/whoami', dora)).json.error).toBe('token_invalid');
    const refused = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'dora', password: 'dora-password-1' } });
    expect(refused.json.error).toBe('auth_failed');
    await rawRequest(srv, { method: 'PATCH', path: '/v1/person/dora', token: idmAdmin, json: { locked: false } });
    await expect(login(srv, 'dora', 'dora-password-1')).resolves.toEqual(expect.any(String));
  });

  it('deleting an account ends its sessions', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/person', token: idmAdmin, json: { name: 'eve', displayname: 'Eve' } });
    await srv.directory!.setPrimaryPassword('eve', 'eve-password-1');
    const eve = await login(srv, 'eve', 'eve-password-1');
    expect((await rawRequest(srv, { method: 'DELETE', path: '/v1/person/eve', token: idmAdmin })).json).toEqual({ ok: true, changed: true });
    expect((await get('/v1/auth/whoami', eve)).json.error).toBe('token_invalid');
  });
});

describe('API tokens', () => {
  let adminTok: string;
  beforeAll(async () => {
    adminTok = await adminToken(srv, 'admin');
    const created = await rawRequest(srv, { method: 'POST', path: '/v1/service_account', token: idmAdmin, json: { name: 'robot', displayname: 'Robot' } });
    expect(created.status).toBe(201);
    // Only system_admins change built-in groups: admin makes the robot a people admin.
    const add = await rawRequest(srv, { method: 'POST', path: '/v1/group/idm_people_admins/members', token: adminTok, json: { members: ['robot'] } });
    expect(add.status).toBe(200);
  });

  const mint = async (body: object) => {
    // robot holds admin rights now, so only a system admin manages its tokens.
    const res = await rawRequest(srv, { method: 'POST', path: '/v1/service_account/robot/api_tokens', token: adminTok, json: body });
    expect(res.status).toBe(201);
    return res.json as { token: string; info: { id: string; read_write: boolean; expires_at: string | null } };
  };
  const personNames = async () => ((await get('/v1/person', idmAdmin)).json as Array<{ name: string }>).map((p) => p.name);

  it('are created, listed without their secret, used and destroyed', async () => {
    const rw = await mint({ label: 'deploy', read_write: true, expires_in: 3600 });
    expect(rw.info.read_write).toBe(true);
    expect(Date.parse(rw.info.expires_at!) - Date.now()).toBeGreaterThan(3500_000);

    const list = (await get('/v1/service_account/robot/api_tokens', idmAdmin)).json as Array<Record<string, unknown>>;
    const entry = list.find((t) => t.id === rw.info.id)!;
    expect(Object.keys(entry).sort()).toEqual(['created_at', 'expires_at', 'id', 'label', 'read_write']);
    expect(JSON.stringify(list)).not.toContain(rw.token);

    const who = (await get('/v1/auth/whoami', rw.token)).json;
    expect(who).toMatchObject({ name: 'robot', kind: 'service_account', token_kind: 'api_token', read_write: true });
    const made = await rawRequest(srv, { method: 'POST', path: '/v1/person', token: rw.token, json: { name: 'made_by_robot', displayname: 'R' } });
    expect(made.status).toBe(201);

    const gone = await rawRequest(srv, { method: 'DELETE', path: `/v1/service_account/robot/api_tokens/${rw.info.id}`, token: adminTok });
    expect(gone.json).toEqual({ ok: true, changed: true });
    const after = await get('/v1/auth/whoami', rw.token);
    expect(after.status).toBe(401);
    expect(after.json.error).toBe('token_invalid');
    expect((await get('/v1/service_account/robot/api_tokens', idmAdmin)).json.map((t: { id: string }) => t.id)).not.toContain(rw.info.id);
  });

  it('read-only tokens read but never write', async () => {
    const ro = await mint({ label: 'monitor' });
    expect(ro.info).toMatchObject({ read_write: false, expires_at: null });
    expect((await get('/v1/person', ro.token)).status).toBe(200);
    const before = await personNames();
    for (const [method, path, json] of [
      ['POST', '/v1/person', { name: 'ro_attempt', displayname: 'No' }],
      ['PATCH', '/v1/person/made_by_robot', { displayname: 'Changed' }],
      ['DELETE', '/v1/person/made_by_robot', undefined],
    ] as const) {
      const res = await rawRequest(srv, { method, path, token: ro.token, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error).toBe('read_only_token');
    }
    expect(await personNames()).toEqual(before);
    expect((await get('/v1/person/made_by_robot', idmAdmin)).json.displayname).toBe('R');
  });

  it('cannot log out (they are not sessions)', async () => {
    const rw = await mint({ label: 'logout-attempt', read_write: true });
    const res = await rawRequest(srv, { method: 'POST', path: '/v1/auth/logout', token: rw.token });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('bad_request');
    expect((await get('/v1/auth/whoami', rw.token)).status).toBe(200);
  });
});

describe('login throttling and logs', () => {
  let quiet: TestServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const { Writable } = await import('node:stream');
    const logStream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    quiet = await startTestServer({ config: { login_failure_limit: 3 }, logLevel: 'debug', logStream });
  });
  afterAll(() => quiet?.close());

  it('refuses a name after repeated failures, even with the right password', async () => {
    const password = await quiet.recover('idm_admin');
    const attempt = (pw: string, name = 'idm_admin') => rawRequest(quiet, { method: 'POST', path: '/v1/auth/login', json: { name, password: pw } });
    // The spn counts as the same account.
    for (const name of ['idm_admin', 'idm_admin@ward.test', 'idm_admin']) expect((await attempt('wrong password', name)).json.error).toBe('auth_failed');
    const blocked = await attempt(password);
    expect(blocked.status).toBe(429);
    expect(blocked.json.error).toBe('rate_limited');
    expect(blocked.headers['retry-after']).toBe('300');
    // Another name from the same source is not affected.
    const admin = await quiet.recover('admin');
    expect((await rawRequest(quiet, { method: 'POST', path: '/v1/auth/login', json: { name: 'admin', password: admin } })).status).toBe(200);
  });

  it('logs logins with name and source, never the password or the token', async () => {
    const password = await quiet.recover('admin');
    const token = await login(quiet, 'admin', password);
    await rawRequest(quiet, { path: '/v1/auth/whoami', token });
    await rawRequest(quiet, { method: 'POST', path: '/v1/auth/login', json: { name: 'admin', password: 'a-wrong-secret-123' } });
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'login');
    expect(events).toContainEqual(expect.objectContaining({ name: 'admin', source: '127.0.0.1', outcome: 'success' }));
    expect(events).toContainEqual(expect.objectContaining({ name: 'admin', source: '127.0.0.1', outcome: 'failure' }));
    const all = lines.join('\n');
    expect(all).not.toContain(password);
    expect(all).not.toContain('a-wrong-secret-123');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]!);
  });
  it('never logs a password typed into the name field: unknown names appear as a keyed hash', async () => {
    const typo = 'Tr0ub4dor&3-horse';
    await rawRequest(quiet, { method: 'POST', path: '/v1/auth/login', json: { name: typo, password: 'anything at all' } });
    await rawRequest(quiet, { method: 'POST', path: '/v1/auth/login', json: { name: typo, password: 'anything else' } });
    await rawRequest(quiet, { method: 'POST', path: `/v1/unix/account/${encodeURIComponent(typo)}/auth`, json: { password: 'anything' } });
    expect(lines.join('\n')).not.toContain(typo);
    const logins = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'login' && e.outcome === 'failure');
    const tags = logins.slice(-2).map((e) => e.name);
    // The same unknown name gets the same tag within a run, so repeated attempts stay visible.
    expect(tags[0]).toMatch(/^unknown:[0-9a-f]{12}$/);
    expect(tags[1]).toBe(tags[0]);
    const unix = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'unix_auth');
    expect(unix.at(-1)).toMatchObject({ name: tags[0], outcome: 'failure' });
  });
});
