/**
 * pam_ward.so under real `pamtester`, against the stand-in daemon on the privileged socket
 * (pam-harness.ts): private /etc/pam.d and syslog per run, passwords typed on stdin.
 * Covered: right and wrong passwords; the account refusal message the user sees; unknown,
 * local and invalid names, with and without ignore_unknown_user; the account, session and
 * password lines pam/README.md documents for Debian; use_first_pass behind pam_unix in the
 * common-auth layout, and alone; use_authtok; sessions; password changes refused clearly,
 * accepted, and mistyped; hostile daemon text sanitized; a password too long for a request;
 * the debug log and every other log line free of passwords; only pam_sm_* exported.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeResponse, STATUS } from '@ward/proto';
import type { FakeDaemon } from './fake-daemon.js';
import { compileTestProgram, namespaceUnavailable } from './helpers.js';
import {
  ALICE_NEW_PW, ALICE_PW, ALL_PASSWORDS, BOB_PW, BOB_REFUSAL, CHANGE_REFUSAL, PAM_MODULE, SAYS,
  pamHandler, startPamBed, type PamBed, type SyslogSink,
} from './pam-harness.js';

describe('pam_ward.so symbols', () => {
  it('exports exactly the six pam_sm_* entry points', () => {
    const symbols = execFileSync('nm', ['-D', '--defined-only', PAM_MODULE], { encoding: 'utf8' })
      .trim().split('\n').map((l) => l.trim().split(/\s+/).pop()!);
    expect(symbols.sort()).toEqual([
      'pam_sm_acct_mgmt', 'pam_sm_authenticate', 'pam_sm_chauthtok', 'pam_sm_close_session',
      'pam_sm_open_session', 'pam_sm_setcred',
    ]);
  });
});

const skipReason = namespaceUnavailable();
if (skipReason) console.warn(`skipped: no environment for PAM tests (${skipReason})`);

describe.skipIf(skipReason !== undefined)('pam_ward.so through pamtester', () => {
  let env: Awaited<ReturnType<typeof startPamBed>>;
  let bed: PamBed;
  let daemon: FakeDaemon;
  let sink: SyslogSink;
  const handler = pamHandler();

  beforeAll(async () => {
    env = await startPamBed('ward-pam-', handler);
    ({ bed, daemon, sink } = env);
    bed.service('ward', ['auth', 'account', 'session', 'password'].map((t) => `${t} required WARD debug`));
    // An observable ignore: PAM_IGNORE falls through to pam_permit, anything else but success dies.
    bed.service('ward-ignore', ['auth', 'account', 'session'].flatMap((t) => [
      `${t} [success=done ignore=ignore default=die] WARD ignore_unknown_user`, `${t} required pam_permit.so`]));
    // Debian's common-auth with pam_ward added the way pam-auth-update places pam_sss.
    bed.service('ward-after-unix', [
      'auth [success=2 default=ignore] pam_unix.so nodelay',
      'auth [success=1 default=ignore] WARD use_first_pass debug',
      'auth requisite pam_deny.so',
      'auth required pam_permit.so',
    ]);
    bed.service('ward-first-pass-alone', ['auth required WARD use_first_pass']);
    // The account and session lines README.md documents (the "Additional" blocks of Debian's
    // common-account and common-session), each ending in pam_permit as those files do.
    bed.service('ward-documented', [
      'account [default=bad success=ok user_unknown=ignore] WARD', 'account required pam_permit.so',
      'session [default=bad success=ok user_unknown=ignore] WARD', 'session required pam_permit.so',
      'password [success=2 default=ignore] pam_unix.so obscure yescrypt',
      'password [success=1 default=ignore] WARD',
      'password requisite pam_deny.so',
      'password required pam_permit.so',
    ]);
    bed.service('ward-use-authtok', [
      'password [success=2 default=ignore] pam_unix.so obscure yescrypt',
      'password [success=1 default=ignore] WARD use_authtok',
      'password requisite pam_deny.so',
      'password required pam_permit.so',
    ]);
  });
  beforeEach(() => {
    daemon.handler = handler;
    daemon.requests.length = 0;
  });
  afterAll(async () => {
    await env?.close();
  });

  const pamtester = (service: string, user: string, ops: string[], input = '') =>
    bed.pamtester(service, user, ops, { input, socket: daemon.path });

  it('accepts the right password and sends it to the daemon with the name', async () => {
    const r = await pamtester('ward', 'alice', ['authenticate', 'acct_mgmt'], `${ALICE_PW}\n`);
    expect(r.code, r.said).toBe(0);
    expect(r.said).toContain(SAYS.authenticated);
    expect(r.said).toContain(SAYS.accountOk);
    expect(daemon.asked('PAM_AUTH')).toEqual([{ name: 'alice', password: ALICE_PW }]);
    expect(daemon.asked('PAM_ACCOUNT')).toEqual([{ name: 'alice' }]);
  });

  it('refuses a wrong password', async () => {
    const r = await pamtester('ward', 'alice', ['authenticate'], 'wrong-password-123\n');
    expect(r.code).not.toBe(0);
    expect(r.said).toContain(SAYS.authErr);
    expect(r.said).not.toContain(SAYS.authenticated);
    expect(sink.moduleLines().some((l) => l.includes('authentication failure for alice'))).toBe(true);
  });

  it('shows the account refusal to the user and refuses the account', async () => {
    const r = await pamtester('ward', 'bob', ['authenticate', 'acct_mgmt'], `${BOB_PW}\n`);
    expect(r.code).not.toBe(0);
    expect(r.said).toContain(SAYS.authenticated);
    expect(r.stderr).toContain(BOB_REFUSAL);
    expect(r.said).toContain(SAYS.permDenied);
    expect(sink.moduleLines().some((l) => l.includes(`account bob refused: ${BOB_REFUSAL}`))).toBe(true);
  });

  it('answers "user unknown" for a name the daemon does not know, or ignores it when asked to', async () => {
    const plain = await pamtester('ward', 'zed', ['authenticate'], 'whatever-pass\n');
    expect(plain.code).not.toBe(0);
    expect(plain.said).toContain(SAYS.unknown);
    expect(daemon.asked('PAM_AUTH')).toEqual([{ name: 'zed', password: 'whatever-pass' }]);

    for (const op of ['authenticate', 'acct_mgmt', 'open_session']) {
      const ignored = await pamtester('ward-ignore', 'zed', [op], 'whatever-pass\n');
      expect(ignored.code, `${op}: ${ignored.said}`).toBe(0); // PAM_IGNORE fell through to pam_permit
    }
    expect(daemon.asked('PAM_ACCOUNT')).toEqual([{ name: 'zed' }]);
  });

  it('leaves local accounts and names the directory cannot hold alone, without prompting or asking', async () => {
    for (const user of ['root', 'nobody', 'Alice', '../etc/passwd', 'al ice', 'x'.repeat(70)]) {
      const r = await pamtester('ward', user, ['authenticate', 'acct_mgmt'], 'never-read\n');
      expect(r.code, user).not.toBe(0);
      expect(r.said, user).toContain(SAYS.unknown);
      expect(r.said, user).not.toContain('Password:');
      const ignored = await pamtester('ward-ignore', user, ['acct_mgmt', 'open_session']);
      expect(ignored.code, `${user}: ${ignored.said}`).toBe(0);
    }
    expect(daemon.requests).toEqual([]);
  });

  it('the documented account and session lines: local accounts pass even with the daemon down, directory users need it', async () => {
    const down = { socket: `${daemon.path}.absent` };
    for (const user of ['root', 'nobody']) {
      const r = await bed.pamtester('ward-documented', user, ['acct_mgmt', 'open_session'], down);
      expect(r.code, `${user}: ${r.said}`).toBe(0);
    }
    const alice = await pamtester('ward-documented', 'alice', ['acct_mgmt', 'open_session']);
    expect(alice.code, alice.said).toBe(0);
    const bob = await pamtester('ward-documented', 'bob', ['acct_mgmt']);
    expect(bob.said).toContain(BOB_REFUSAL);
    expect(bob.said).toContain(SAYS.permDenied);
    const aliceDown = await bed.pamtester('ward-documented', 'alice', ['acct_mgmt'], down);
    expect(aliceDown.code).not.toBe(0);
    expect(aliceDown.said).toContain(SAYS.unavail);
  });

  it('the documented password lines: behind pam_unix, pam_ward asks for both passwords itself', async () => {
    daemon.handler = pamHandler({ allowChange: true });
    const input = `${ALICE_PW}\n${ALICE_NEW_PW}\n${ALICE_NEW_PW}\n`;
    const r = await pamtester('ward-documented', 'alice', ['chauthtok'], input);
    expect(r.code, r.said).toBe(0);
    expect(daemon.asked('PAM_CHAUTHTOK')).toEqual([{ name: 'alice', old_password: ALICE_PW, new_password: ALICE_NEW_PW }]);

    // use_authtok takes the new password only from an earlier module; pam_unix sets none for a
    // user it does not have, so nothing is sent (why the documented line has no option).
    daemon.requests.length = 0;
    const authtok = await pamtester('ward-use-authtok', 'alice', ['chauthtok'], input);
    expect(authtok.code).not.toBe(0);
    expect(authtok.said).toContain(SAYS.authtokErr);
    expect(authtok.said).not.toContain('New password:');
    expect(daemon.asked('PAM_CHAUTHTOK')).toEqual([]);
  });

  it('use_first_pass behind pam_unix: one prompt, and pam_ward checks the password pam_unix read', async () => {
    const r = await pamtester('ward-after-unix', 'alice', ['authenticate'], `${ALICE_PW}\n`);
    expect(r.code, r.said).toBe(0);
    expect(r.said.match(/Password:/g)).toHaveLength(1);
    expect(daemon.asked('PAM_AUTH')).toEqual([{ name: 'alice', password: ALICE_PW }]);

    const wrong = await pamtester('ward-after-unix', 'alice', ['authenticate'], 'wrong-password-123\n');
    expect(wrong.code).not.toBe(0);
    expect(wrong.said).toContain(SAYS.authErr);
  });

  it('use_first_pass with no earlier module: no prompt, nothing sent, refused', async () => {
    const r = await pamtester('ward-first-pass-alone', 'alice', ['authenticate'], `${ALICE_PW}\n`);
    expect(r.code).not.toBe(0);
    expect(r.said).toContain(SAYS.authErr);
    expect(r.said).not.toContain('Password:');
    expect(daemon.requests).toEqual([]);
  });

  it('opens and closes a session through the daemon, and reports a failed one', async () => {
    const r = await pamtester('ward', 'alice', ['open_session', 'close_session']);
    expect(r.code, r.said).toBe(0);
    expect(r.said).toContain(SAYS.sessionOpened);
    expect(daemon.asked('PAM_SESSION')).toEqual([{ name: 'alice' }]);

    daemon.handler = (req) => req.op === 'PAM_SESSION'
      ? { kind: 'frame', payload: encodeResponse(req.op, STATUS.ERROR, 'home directory: /home/alice exists and is not owned by alice') }
      : handler(req);
    const failed = await pamtester('ward', 'alice', ['open_session']);
    expect(failed.code).not.toBe(0);
    expect(failed.said).toContain(SAYS.sessionErr);
    expect(sink.moduleLines().some((l) => l.includes('session for alice not opened: home directory'))).toBe(true);
  });

  it('refuses a password change clearly, with the daemon\'s reason', async () => {
    const r = await pamtester('ward', 'alice', ['chauthtok'], `${ALICE_PW}\n${ALICE_NEW_PW}\n${ALICE_NEW_PW}\n`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Password not changed: ${CHANGE_REFUSAL}`);
    expect(r.said).toContain(SAYS.authtokErr);
    expect(daemon.asked('PW_BY_NAME')).toEqual([{ name: 'alice' }]); // the preliminary check
    expect(daemon.asked('PAM_CHAUTHTOK')).toEqual([{ name: 'alice', old_password: ALICE_PW, new_password: ALICE_NEW_PW }]);
  });

  it('changes a password when the daemon accepts, and sends nothing when the new one is mistyped', async () => {
    daemon.handler = pamHandler({ allowChange: true });
    const r = await pamtester('ward', 'alice', ['chauthtok'], `${ALICE_PW}\n${ALICE_NEW_PW}\n${ALICE_NEW_PW}\n`);
    expect(r.code, r.said).toBe(0);
    expect(r.said).toContain(SAYS.passwordChanged);
    expect(r.said).toMatch(/Current password:.*New password:.*Retype new password:/s);

    daemon.requests.length = 0;
    const mistyped = await pamtester('ward', 'alice', ['chauthtok'], `${ALICE_PW}\n${ALICE_NEW_PW}\nsomething-else-1\n`);
    expect(mistyped.code).not.toBe(0);
    expect(mistyped.said).toContain('Sorry, passwords do not match');
    expect(daemon.asked('PAM_CHAUTHTOK')).toEqual([]);

    const unknown = await pamtester('ward', 'zed', ['chauthtok'], 'a\nb\nb\n');
    expect(unknown.said).toContain(SAYS.unknown);
    expect(unknown.said).not.toContain('password:');
  });

  it('shows daemon text without terminal control sequences', async () => {
    daemon.handler = (req) => req.op === 'PAM_ACCOUNT'
      ? { kind: 'frame', payload: encodeResponse(req.op, STATUS.DENIED, 'locked\u001b]0;pwned\u0007 now\u009b2J é') }
      : handler(req);
    const r = await pamtester('ward', 'alice', ['acct_mgmt']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('locked?]0;pwned? now?2J é');
    expect(r.stderr).not.toMatch(/[\u001b\u0007\u009b]/);
    expect(sink.moduleLines().join('\n')).not.toMatch(/[\u001b\u0007\u009b]/);
  });

  it('refuses a password too long for one request without sending it (a conversation without a cap)', async () => {
    const drive = compileTestProgram(env.dir, 'pam_drive', [], ['-lpam']);
    const fits = await bed.exec([drive, 'ward', 'alice'], { input: `${ALICE_PW}\n`, socket: daemon.path });
    expect(fits.stdout).toBe(`authenticate: Success\n`);
    daemon.requests.length = 0;
    const huge = await bed.exec([drive, 'ward', 'alice'], { input: 'p'.repeat(9000), socket: daemon.path });
    expect(huge.stdout).toBe(`authenticate: ${SAYS.authErr}\n`);
    expect(daemon.requests).toEqual([]);
    expect(sink.moduleLines().some((l) => l.includes('the request is too long to send to ward-unixd'))).toBe(true);
  });

  it('logs what it does with `debug`, and no password ever reaches a log line', async () => {
    const from = sink.lines.length;
    const r = await pamtester('ward', 'alice', ['authenticate', 'acct_mgmt', 'open_session'], `${ALICE_PW}\n`);
    expect(r.code, r.said).toBe(0);
    const lines = sink.lines.slice(from);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/<\d+>.*pam_ward\(ward:auth\): asking ward-unixd: PAM_AUTH for alice$/),
      expect.stringMatching(/pam_ward\(ward:auth\): ward-unixd answered OK for alice: authenticated by the IdP$/),
      expect.stringMatching(/pam_ward\(ward:account\): asking ward-unixd: PAM_ACCOUNT for alice$/),
      expect.stringMatching(/pam_ward\(ward:session\): asking ward-unixd: PAM_SESSION for alice$/),
    ]));
    expect(daemon.asked('PAM_AUTH')).toEqual([{ name: 'alice', password: ALICE_PW }]); // it was sent
  });

  // Last: every line every test above made the module log.
  it('wrote no password to syslog in any of these runs', () => {
    expect(sink.moduleLines().length).toBeGreaterThan(0);
    const all = sink.lines.join('\n');
    for (const pw of ALL_PASSWORDS) expect(all).not.toContain(pw);
  });
});
