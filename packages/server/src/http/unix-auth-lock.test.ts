/**
 * Guessing a unix password from many addresses. The per-address throttle alone let an attacker
 * with many addresses guess without limit; the unix check now also counts failures per account,
 * from every address together, in a lock of its own: past auth_lock_threshold failures the
 * account's unix checks answer 429 for a while (capped, doubling), whatever the address. That
 * lock is scoped to unix password checks: the person still signs in to the IdP itself, and it
 * ends by itself, so an attacker can slow one person's host password logins, never lock them
 * out of everything. Sources are distinct loopback addresses (127.0.0.x).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, login, rawRequest, startTestServer, type TestServer } from '../testing/index.js';

const UNIX_PASSWORD = 'slate orchard comet 2291';
const PRIMARY_PASSWORD = 'primary lantern harbor 8812';
let srv: TestServer;

const check = (password: string, from: string) =>
  rawRequest(srv, { method: 'POST', path: '/v1/unix/account/dora/auth', json: { password }, localAddress: from });

beforeAll(async () => {
  // Per address: 3 failures; per account: locked from the 4th failure, 1 s at first, at most 2 s.
  srv = await startTestServer({ config: { login_failure_limit: 3, auth_lock_threshold: 4, auth_lock_seconds: 1, auth_lock_max_seconds: 2 } });
  const token = await adminToken(srv);
  for (const req of [
    { method: 'POST', path: '/v1/person', json: { name: 'dora', displayname: 'Dora' } },
    { method: 'PUT', path: '/v1/person/dora/posix', json: {} },
    { method: 'PUT', path: '/v1/person/dora/unix_password', json: { password: UNIX_PASSWORD } },
  ]) expect((await rawRequest(srv, { token, ...req })).status).toBeLessThan(300);
  await srv.directory!.setPrimaryPassword('dora', PRIMARY_PASSWORD);
});
afterAll(() => srv?.close());

describe('unix password guesses from many addresses', () => {
  it('lock the account\u2019s unix checks everywhere, not its IdP sign-in, and the lock ends by itself', async () => {
    // Two wrong guesses from each of two addresses: under every per-address limit.
    for (const from of ['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3']) {
      const r = await check('wrong guess', from);
      expect(r.status, r.text).toBe(200);
      expect(r.json.ok).toBe(false);
    }
    // The account is now locked for unix checks: a guess from a fresh address is not checked.
    const guess = await check('another guess', '127.0.0.4');
    expect(guess.status).toBe(429);
    expect(guess.json.error).toBe('rate_limited');
    expect(Number(guess.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The lock is no verdict on the password: even the right one is refused, with the same 429.
    expect((await check(UNIX_PASSWORD, '127.0.0.5')).status).toBe(429);
    // Signing in to the IdP is another matter: it still works.
    expect(await login(srv, 'dora', PRIMARY_PASSWORD)).toMatch(/\./);
    // The lock ends by itself (at most auth_lock_max_seconds): the right password then works.
    let answer = await check(UNIX_PASSWORD, '127.0.0.5');
    while (answer.status === 429) {
      await new Promise((r) => setTimeout(r, Number(answer.headers['retry-after']) * 1000));
      answer = await check(UNIX_PASSWORD, '127.0.0.5');
    }
    expect(answer.status).toBe(200);
    expect(answer.json.ok).toBe(true);
  });
});
