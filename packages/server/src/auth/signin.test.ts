/**
 * The sign-in state machine through the REST API on a real server: passwords, TOTP, backup codes
 * and passkeys (a software authenticator producing real WebAuthn responses), and what the one-shot
 * /v1/auth/login still allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, login, rawRequest, softAuthenticator, startTestServer, type TestServer } from '../testing/index.js';
import { totpCode } from '../credentials/totp.js';
import { begin, createPerson, enrol, nextCode, passkeySignIn, passwordStep, step } from './test-support.js';

let srv: TestServer;
let admin: string;

beforeAll(async () => {
  srv = await startTestServer();
  admin = await adminToken(srv);
});
afterAll(() => srv?.close());

describe('begin', () => {
  it('offers password and passkey for a known and an unknown name alike', async () => {
    await createPerson(srv, admin, 'known');
    const known = await begin(srv, 'known');
    const unknown = await begin(srv, 'nobody-here');
    for (const r of [known, unknown]) {
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ state: 'continue', allowed: ['password', 'passkey'] });
      expect(r.json.passkey_options).toMatchObject({ rpId: 'ward.test', userVerification: 'required' });
      expect(r.json.passkey_options.allowCredentials ?? []).toEqual([]);
    }
    const anonymous = await begin(srv);
    expect(anonymous.json).toMatchObject({ state: 'continue', allowed: ['passkey'] });
  });

  it('denies an unknown name at the password step with the message of a wrong password', async () => {
    await enrol(srv, admin, 'known', { password: 'violet tractor sings' });
    const unknown = await passwordStep(srv, 'nobody-here', 'violet tractor sings');
    const wrong = await passwordStep(srv, 'known', 'orange tractor sings');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.json).toEqual(wrong.json);
  });

  it('refuses a step of the wrong kind, a finished and an unknown auth session', async () => {
    const b = await begin(srv, 'known');
    expect((await step(srv, b.json.session, { kind: 'totp', code: '123456' })).status).toBe(401);
    expect((await step(srv, b.json.session, { kind: 'password', password: 'violet tractor sings' })).json.message).toMatch(/expired or is already over/);
    expect((await step(srv, 'made-up', { kind: 'password', password: 'x' })).status).toBe(401);
    expect((await step(srv, (await begin(srv, 'known')).json.session, { kind: 'password' })).json).toMatchObject({ error: 'bad_request' });
  });
});

describe('password only', () => {
  it('succeeds in one step, and /v1/auth/login still works', async () => {
    await createPerson(srv, admin, 'pat', 'Pat Doe');
    await enrol(srv, admin, 'pat', { password: 'lemon grove 1984' });
    const r = await passwordStep(srv, 'pat', 'lemon grove 1984');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ state: 'success', name: 'pat', spn: 'pat@ward.test', amr: ['pwd'] });
    const who = await rawRequest(srv, { path: '/v1/auth/whoami', token: r.json.token });
    expect(who.json).toMatchObject({ name: 'pat', token_kind: 'session' });
    expect(await login(srv, 'pat', 'lemon grove 1984')).toMatch(/\./);
  });
});

describe('password and TOTP', () => {
  let secret: Buffer;
  let codes: string[];

  beforeAll(async () => {
    await createPerson(srv, admin, 'tess', 'Tess Okafor');
    const e = await enrol(srv, admin, 'tess', { password: 'marble hallway 77', totp: true, backupCodes: true });
    secret = e.totpSecret!;
    codes = e.backupCodes!;
  });

  it('asks for a code after the password, and the one-shot login refuses', async () => {
    const r = await passwordStep(srv, 'tess', 'marble hallway 77');
    expect(r.json).toMatchObject({ state: 'continue', allowed: ['totp', 'backup_code'] });
    expect(r.json.token).toBeUndefined();
    const oneShot = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', json: { name: 'tess', password: 'marble hallway 77' } });
    expect(oneShot.status).toBe(401);
    expect(oneShot.json.message).toMatch(/second factor/);
  });

  it('accepts a right code once: a reused code and a wrong one are refused', async () => {
    const code = nextCode(secret);
    const first = await passwordStep(srv, 'tess', 'marble hallway 77');
    const ok = await step(srv, first.json.session, { kind: 'totp', code });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ state: 'success', amr: ['pwd', 'otp', 'mfa'] });

    const again = await passwordStep(srv, 'tess', 'marble hallway 77');
    const reused = await step(srv, again.json.session, { kind: 'totp', code });
    expect(reused.status).toBe(401);
    expect(reused.json.message).toMatch(/used already/);

    const third = await passwordStep(srv, 'tess', 'marble hallway 77');
    const wrongCode = String((Number(nextCode(secret)) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await step(srv, third.json.session, { kind: 'totp', code: wrongCode });
    expect(wrong.json).toMatchObject({ error: 'auth_failed', message: 'the code is wrong' });
  });

  it('refuses the enrolment code itself and a code older than the last one used', async () => {
    const r = await passwordStep(srv, 'tess', 'marble hallway 77');
    expect((await step(srv, r.json.session, { kind: 'totp', code: totpCode(secret, Date.now()) })).status).toBe(401);
  });

  it('takes a backup code once instead of the TOTP', async () => {
    const [code] = codes;
    const r = await passwordStep(srv, 'tess', 'marble hallway 77');
    const ok = await step(srv, r.json.session, { kind: 'backup_code', code: code!.toLowerCase() });
    expect(ok.json).toMatchObject({ state: 'success', amr: ['pwd', 'otp', 'mfa'] });
    const r2 = await passwordStep(srv, 'tess', 'marble hallway 77');
    const again = await step(srv, r2.json.session, { kind: 'backup_code', code: code! });
    expect(again.status).toBe(401);
    expect(again.json.message).toMatch(/wrong or was used already/);
  });
});

describe('passkeys', () => {
  const origin = () => srv.origin;

  it('registers through a credential update and signs in without a name', async () => {
    const authn = softAuthenticator({ origin: origin() });
    await createPerson(srv, admin, 'kim', 'Kim Park');
    await enrol(srv, admin, 'kim', { passkey: authn });
    const r = await passkeySignIn(srv, authn);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ state: 'success', name: 'kim', amr: ['hwk', 'user', 'mfa'] });
    const named = await passkeySignIn(srv, authn, 'kim');
    expect(named.json).toMatchObject({ state: 'success', name: 'kim' });
    const stored = srv.directory!.credentialStore.passkeyById(authn.credentials[0]!.id)!;
    expect(stored).toMatchObject({ name: 'laptop', counter: 2, fmt: 'none', transports: ['internal'] });
    expect(stored.lastUsedAt).not.toBeNull();
  });

  it('refuses the passkey of one person for another name, and an unknown passkey', async () => {
    const authn = softAuthenticator({ origin: origin() });
    await createPerson(srv, admin, 'lee');
    await enrol(srv, admin, 'lee', { passkey: authn });
    const other = await passkeySignIn(srv, authn, 'known');
    expect(other.status).toBe(401);
    const stranger = softAuthenticator({ origin: origin() });
    stranger.register({ rp: { id: 'ward.test', name: 'x' }, user: { id: 'AAAA', name: 'x', displayName: 'x' }, challenge: 'AAAA', pubKeyCredParams: [] });
    expect((await passkeySignIn(srv, stranger)).status).toBe(401);
  });

  it('refuses an assertion whose counter went back (a cloned authenticator)', async () => {
    const authn = softAuthenticator({ origin: origin() });
    await createPerson(srv, admin, 'cal');
    await enrol(srv, admin, 'cal', { passkey: authn });
    expect((await passkeySignIn(srv, authn)).status).toBe(200);
    authn.credentials[0]!.counter = 0;
    const cloned = await passkeySignIn(srv, authn);
    expect(cloned.status).toBe(401);
    expect(cloned.json.message).toMatch(/not accepted/);
  });

  it('refuses an assertion for another origin, and a replayed one', async () => {
    const authn = softAuthenticator({ origin: origin() });
    await createPerson(srv, admin, 'rey');
    await enrol(srv, admin, 'rey', { passkey: authn });
    const evil = softAuthenticator({ origin: 'https://evil.test' });
    evil.credentials.push(...authn.credentials);
    expect((await passkeySignIn(srv, evil)).status).toBe(401);
    const b = await begin(srv);
    const response = authn.authenticate(b.json.passkey_options);
    expect((await step(srv, b.json.session, { kind: 'passkey', response })).status).toBe(200);
    const b2 = await begin(srv);
    expect((await step(srv, b2.json.session, { kind: 'passkey', response })).status).toBe(401);
  });
});
