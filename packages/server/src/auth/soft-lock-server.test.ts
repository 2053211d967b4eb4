/**
 * The soft lock on a real server with short timings (auth_lock_* in server.toml): it engages after
 * repeated failures, refuses even the right password while engaged, never blocks a passkey, grows,
 * and releases; the log names account and source, never a secret.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, softAuthenticator, startTestServer, type TestServer } from '../testing/index.js';
import { createPerson, enrol, nextCode, passkeySignIn, passwordStep, step } from './test-support.js';

let srv: TestServer;
let admin: string;
const lines: string[] = [];
const PASSWORD = 'quartz window 31';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  srv = await startTestServer({
    config: { auth_lock_threshold: 3, auth_lock_seconds: 1, auth_lock_max_seconds: 2, login_failure_limit: 1000 },
    logLevel: 'info',
    logStream,
  });
  admin = await adminToken(srv);
});
afterAll(() => srv?.close());

describe('the soft lock', () => {
  it('engages after repeated failures, spares passkeys, grows, and releases', async () => {
    const authn = softAuthenticator({ origin: srv.origin });
    await createPerson(srv, admin, 'vic', 'Vic Moreau');
    await enrol(srv, admin, 'vic', { password: PASSWORD, passkey: authn });
    for (let i = 0; i < 2; i++) expect((await passwordStep(srv, 'vic', 'wrong guess 1')).status).toBe(401);
    const third = await passwordStep(srv, 'vic', 'wrong guess 1');
    expect(third.status).toBe(401); // the third failure starts the lock

    const locked = await passwordStep(srv, 'vic', PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.json.error).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The spn is the same account.
    expect((await passwordStep(srv, 'vic@ward.test', PASSWORD)).status).toBe(429);
    // A passkey still signs in while the password is locked...
    expect((await passkeySignIn(srv, authn)).json.state).toBe('success');
    // ...and that success clears the count.
    expect((await passwordStep(srv, 'vic', PASSWORD)).json.state).toBe('success');

    for (let i = 0; i < 3; i++) await passwordStep(srv, 'vic', 'wrong guess 2');
    expect((await passwordStep(srv, 'vic', PASSWORD)).status).toBe(429);
    await sleep(1100);
    // Released: one more failure locks again, for twice as long.
    expect((await passwordStep(srv, 'vic', 'wrong guess 3')).status).toBe(401);
    const longer = await passwordStep(srv, 'vic', PASSWORD);
    expect(longer.status).toBe(429);
    expect(Number(longer.headers['retry-after'])).toBe(2);
    await sleep(2100);
    expect((await passwordStep(srv, 'vic', PASSWORD)).json.state).toBe('success');
  });

  it('counts wrong TOTP codes too, and locks an unknown name the same way', async () => {
    await createPerson(srv, admin, 'wes', 'Wes Hart');
    const { totpSecret } = await enrol(srv, admin, 'wes', { password: PASSWORD, totp: true });
    for (let i = 0; i < 3; i++) {
      const r = await passwordStep(srv, 'wes', PASSWORD);
      expect((await step(srv, r.json.session, { kind: 'totp', code: '000000' })).status).toBe(401);
    }
    expect((await passwordStep(srv, 'wes', PASSWORD)).status).toBe(429);
    await sleep(1100);
    const r = await passwordStep(srv, 'wes', PASSWORD);
    expect((await step(srv, r.json.session, { kind: 'totp', code: nextCode(totpSecret!) })).json.state).toBe('success');

    for (let i = 0; i < 3; i++) expect((await passwordStep(srv, 'ghost', 'wrong guess 1')).status).toBe(401);
    expect((await passwordStep(srv, 'ghost', 'wrong guess 1')).status).toBe(429);
  });

  it('logs failures, locks and successes with account and source, never a secret', () => {
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'login');
    expect(events).toContainEqual(expect.objectContaining({ name: 'vic', account: 'vic@ward.test', source: '127.0.0.1', outcome: 'failure', mechanism: 'password' }));
    expect(events).toContainEqual(expect.objectContaining({ name: 'vic', source: '127.0.0.1', outcome: 'locked' }));
    expect(events).toContainEqual(expect.objectContaining({ account: 'vic@ward.test', outcome: 'success', mechanism: 'passkey', amr: ['hwk', 'user', 'mfa'] }));
    expect(events).toContainEqual(expect.objectContaining({ account: 'wes@ward.test', outcome: 'failure', mechanism: 'totp' }));
    const all = lines.join('\n');
    for (const secret of [PASSWORD, 'wrong guess 1', 'wrong guess 2']) expect(all).not.toContain(secret);
  });
});
