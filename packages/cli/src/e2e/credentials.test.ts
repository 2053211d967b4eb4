/**
 * Sign-in beyond a password through the CLI: an administrator makes a reset link, the person sets
 * a password and a TOTP through it (the server's credential update service, as the web UI would),
 * and `ward login` then asks for the code (WARD_TOTP, a backup code, standard input or a prompt).
 * Account policy commands and their effect on `ward login`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_LINE, WardShell, runOnTerminal, startServer, type TestServer } from './harness.js';

interface CuService {
  beginWithResetToken(token: string): { id: string };
  setPassword(id: string, password: string): Promise<unknown>;
  totpInit(id: string): { secret: string };
  totpVerify(id: string, label: string, code: string): unknown;
  backupCodesGenerate(id: string): Promise<string[]>;
  commit(id: string): Promise<void>;
}
interface Totp {
  base32Decode(text: string): Buffer;
  totpCode(secret: Buffer, nowMs: number): string;
}

let server: TestServer & { app?: { credentialUpdates: CuService } };
let sh: WardShell;
let totp: Totp;
let secret: Buffer;
let backupCodes: string[];
let usedCode: string;
const PASSWORD = 'nimbus orchard 64';
/** A code of the next 30-second step (within the one-step skew): later than the enrolment's. */
const nextCode = (s: Buffer) => totp.totpCode(s, Date.now() + 30_000);

/** Sets a password (and a TOTP, returning its secret) for `name` through a reset link. */
async function enrol(name: string, password: string, withTotp: boolean): Promise<Buffer | undefined> {
  const { token } = await sh.json(['-D', 'idm_admin', 'person', 'credential', 'create-reset-token', name, '600']);
  const cu = server.app!.credentialUpdates;
  const { id } = cu.beginWithResetToken(token);
  await cu.setPassword(id, password);
  let s: Buffer | undefined;
  if (withTotp) {
    s = totp.base32Decode(cu.totpInit(id).secret);
    cu.totpVerify(id, 'phone', totp.totpCode(s, Date.now()));
    backupCodes = await cu.backupCodesGenerate(id);
  }
  await cu.commit(id);
  return s;
}

beforeAll(async () => {
  server = (await startServer()) as typeof server;
  // The TOTP arithmetic of the server package (RFC 6238), for computing codes as an app would.
  totp = (await import('@ward/server/testing')) as unknown as Totp;
  sh = new WardShell(server);
  await sh.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: await server.recover('idm_admin') } });
  await sh.ok(['-D', 'idm_admin', 'person', 'create', 'nia', 'Nia Grey']);
});

afterAll(async () => {
  await server?.close();
  sh?.cleanup();
});

describe('reset links', () => {
  it('prints a one-time link (JSON too) and refuses a bad lifetime', async () => {
    const text = await sh.ok(['-D', 'idm_admin', 'person', 'credential', 'create-reset-token', 'nia', '2h']);
    expect(text).toMatch(/^reset link for nia \(works once, until \d{4}-\d\d-\d\dT[\d:.]+Z\):\nhttps:\/\/ward\.test:\d+\/ui\/reset\?token=[A-Za-z0-9_-]{43}\nGive it/);
    const json = await sh.json(['-D', 'idm_admin', 'person', 'credential', 'create-reset-token', 'nia']);
    expect(json).toMatchObject({ ok: true, changed: true, token: expect.any(String), url: expect.stringContaining('/ui/reset?token=') });
    expect(Date.parse(json.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    const long = await sh.run(['-D', 'idm_admin', 'person', 'credential', 'create-reset-token', 'nia', '25h']);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(FAILURE_LINE);
  });

  it('lets the person set a password and a TOTP', async () => {
    secret = (await enrol('nia', PASSWORD, true))!;
    const plain = await sh.run(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD } });
    expect(plain.code).toBe(2); // no code on standard input
  });
});

describe('ward login with a TOTP', () => {
  it('takes the code from WARD_TOTP', async () => {
    usedCode = nextCode(secret);
    const r = await sh.json(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD, WARD_TOTP: usedCode } });
    expect(r).toMatchObject({ ok: true, name: 'nia', amr: ['pwd', 'otp', 'mfa'] });
    expect((await sh.json(['-D', 'nia', 'whoami'])).name).toBe('nia');
  });

  it('refuses a code used already, and a wrong one, with exit status 3', async () => {
    const used = await sh.run(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD, WARD_TOTP: usedCode } });
    expect(used.code).toBe(3);
    expect(used.stderr).toMatch(/used already/);
    const wrong = await sh.run(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD, WARD_TOTP: '000000' } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(FAILURE_LINE);
  });

  it('takes a backup code from WARD_BACKUP_CODE or standard input, each once', async () => {
    const r = await sh.json(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD, WARD_BACKUP_CODE: backupCodes[0]! } });
    expect(r.amr).toEqual(['pwd', 'otp', 'mfa']);
    const piped = await sh.run(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD }, input: `${backupCodes[1]}\n` });
    expect(piped.code, piped.stderr).toBe(0);
    const again = await sh.run(['login', '-D', 'nia'], { env: { WARD_PASSWORD: PASSWORD }, input: `${backupCodes[1]}\n` });
    expect(again.code).toBe(3);
  });

  it('prompts for the password and then the code on a terminal', async () => {
    await sh.ok(['-D', 'idm_admin', 'person', 'create', 'tom', 'Tom Hale']);
    const tomSecret = (await enrol('tom', PASSWORD, true))!;
    const other = new WardShell(server);
    try {
      const code = nextCode(tomSecret);
      const r = await runOnTerminal(other, ['login', '-D', 'tom'], [
        [/Password for tom: $/, PASSWORD],
        [/TOTP code \(or a backup code\) for tom: $/, code],
      ]);
      expect(r.code, r.transcript).toBe(0);
      expect(r.transcript).toMatch(/logged in to .* as tom@ward\.test/);
      expect(r.transcript).not.toContain(PASSWORD);
    } finally {
      other.cleanup();
    }
  });
});

describe('account policy', () => {
  it('is set, shown and unset with ward group account-policy', async () => {
    await sh.ok(['-D', 'idm_admin', 'group', 'create', 'ops']);
    expect(await sh.ok(['-D', 'idm_admin', 'group', 'account-policy', 'credential-type-minimum', 'ops', 'mfa'])).toMatch(
      /^group ops: account policy credential-type-minimum set\n/,
    );
    await sh.ok(['-D', 'idm_admin', 'group', 'account-policy', 'auth-expiry', 'ops', '2h']);
    await sh.ok(['-D', 'idm_admin', 'group', 'account-policy', 'password-minimum-length', 'ops', '14']);
    expect(await sh.json(['-D', 'idm_admin', 'group', 'account-policy', 'show', 'ops'])).toEqual({
      group: 'ops', credential_type_minimum: 'mfa', auth_expiry: 7200, password_minimum_length: 14,
    });
    expect(await sh.ok(['-D', 'idm_admin', 'group', 'account-policy', 'show', 'ops'])).toMatch(/auth_expiry: +7200 s/);
    await sh.ok(['-D', 'idm_admin', 'group', 'account-policy', 'password-minimum-length', 'ops', 'unset']);
    expect((await sh.json(['-D', 'idm_admin', 'group', 'account-policy', 'show', 'ops'])).password_minimum_length).toBeNull();
    for (const args of [['credential-type-minimum', 'ops', 'strong'], ['auth-expiry', 'ops', '5'], ['password-minimum-length', 'ops', '4']]) {
      const r = await sh.run(['-D', 'idm_admin', 'group', 'account-policy', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(FAILURE_LINE);
    }
  });

  it('refuses a password-only login of a member of an MFA group', async () => {
    await sh.ok(['-D', 'idm_admin', 'person', 'create', 'olu', 'Olu Ade']);
    await enrol('olu', 'cobalt meadow 18', false);
    expect((await sh.run(['login', '-D', 'olu'], { env: { WARD_PASSWORD: 'cobalt meadow 18' } })).code).toBe(0);
    await sh.ok(['-D', 'idm_admin', 'group', 'add-members', 'ops', 'olu']);
    const r = await sh.run(['login', '-D', 'olu'], { env: { WARD_PASSWORD: 'cobalt meadow 18' } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^ward: the account policy requires a second factor .* \(forbidden\)\n$/);
  });
});
