/**
 * pam_ward.so when ward-unixd is absent, wedged or talking garbage, under real `pamtester`:
 * every case must end promptly, never crash the application, and fail closed. Unreachable means
 * PAM_AUTHINFO_UNAVAIL (PAM_IGNORE only with ignore_authinfo_unavail); an answer that does not
 * follow the protocol is a refusal that no option turns into a pass. Bounds: a daemon that is
 * not running costs under 1 s; one that accepts and never answers costs the module's deadline,
 * 1 s for account (asserted under 1.5 s) and 3 s for a password check (asserted under 3.5 s;
 * the daemon itself may wait up to its idp_timeout_ms, 2 s by default, before it answers from
 * its offline cache, so the module must wait longer than that).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeResponse, RESPONSE_MAX, STATUS } from '@ward/proto';
import { rawStr as str, rawU32 as u32, type FakeDaemon, type Reply } from './fake-daemon.js';
import { namespaceUnavailable } from './helpers.js';
import { ALICE_PW, SAYS, pamHandler, startPamBed, type PamBed } from './pam-harness.js';

const framed = (...parts: Buffer[]): Reply => ({ kind: 'frame', payload: Buffer.concat(parts) });
const raw = (bytes: Buffer, close = true): Reply => ({ kind: 'raw', bytes, close });

/** Answers that must never pass, whatever the op. */
const MALFORMED: Array<[string, Reply]> = [
  ['OK without its message', framed(u32(STATUS.OK))],
  ['OK with bytes after its message', framed(u32(STATUS.OK), str('fine'), Buffer.from([0]))],
  ['OK with a message that is not UTF-8', framed(u32(STATUS.OK), str(Buffer.from([0xff, 0xfe])))],
  ['OK with a message length past the end', framed(u32(STATUS.OK), u32(50), Buffer.from('short'))],
  ['a status this build does not know', framed(u32(99), str('from the future'))],
  ['FORBIDDEN (the public socket)', framed(u32(STATUS.FORBIDDEN), str('PAM_AUTH is only served on the privileged socket'))],
  ['NOT_FOUND without its message', framed(u32(STATUS.NOT_FOUND))],
  ['a length over RESPONSE_MAX', raw(u32(RESPONSE_MAX + 1))],
  ['a frame cut short', raw(Buffer.concat([u32(40), u32(STATUS.OK), str('half')]))],
  ['a hang-up without an answer', { kind: 'close' }],
];

const skipReason = namespaceUnavailable();
if (skipReason) console.warn(`skipped: no environment for PAM tests (${skipReason})`);

describe.skipIf(skipReason !== undefined)('pam_ward.so when the daemon fails', () => {
  let env: Awaited<ReturnType<typeof startPamBed>>;
  let bed: PamBed;
  let daemon: FakeDaemon;
  let missing: string;
  const normal = pamHandler();

  beforeAll(async () => {
    env = await startPamBed('ward-pamfail-', normal);
    ({ bed, daemon } = env);
    missing = join(env.dir, 'no-such.sock');
    bed.service('ward', ['auth', 'account', 'session', 'password'].map((t) => `${t} required WARD`));
    // Both ignore options, so the tests show that neither lets a broken answer through.
    bed.service('ward-ignore', ['auth', 'account', 'session'].flatMap((t) => [
      `${t} [success=done ignore=ignore default=die] WARD ignore_authinfo_unavail ignore_unknown_user`,
      `${t} required pam_permit.so`]));
  });
  beforeEach(() => {
    daemon.handler = normal;
    daemon.requests.length = 0;
  });
  afterAll(async () => {
    await env?.close();
  });

  const pamtester = (service: string, user: string, ops: string[], socket = daemon.path) =>
    bed.pamtester(service, user, ops, { input: `${ALICE_PW}\n`, socket });

  it('daemon not running: authinfo unavailable at once in auth and account, session error', async () => {
    for (const [op, says] of [['authenticate', SAYS.unavail], ['acct_mgmt', SAYS.unavail], ['open_session', SAYS.sessionErr]]) {
      const r = await pamtester('ward', 'alice', [op!], missing);
      expect(r.signal, op).toBeNull();
      expect(r.code, op).not.toBe(0);
      expect(r.said, op).toContain(says);
      expect(r.ms, op).toBeLessThan(1000);
    }
    expect(env.sink.moduleLines().some((l) =>
      l.includes('account for alice: ward-unixd unavailable: ward-unixd is not running'))).toBe(true);
  });

  it('daemon not running: ignore_authinfo_unavail lets the next module decide', async () => {
    for (const op of ['authenticate', 'acct_mgmt', 'open_session']) {
      const r = await pamtester('ward-ignore', 'alice', [op], missing);
      expect(r.code, `${op}: ${r.said}`).toBe(0);
    }
  });

  it('daemon not running: a password change is refused with a reason', async () => {
    const r = await bed.pamtester('ward', 'alice', ['chauthtok'], { input: 'a\nb\nb\n', socket: missing });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The password cannot be changed now: ward-unixd is not running');
    expect(r.said).not.toContain('Current password:');
  });

  it('daemon not running: local accounts are answered without it', async () => {
    const r = await pamtester('ward', 'root', ['authenticate', 'acct_mgmt'], missing);
    expect(r.said).toContain(SAYS.unknown);
    expect(r.ms).toBeLessThan(1000);
  });

  it('daemon UNAVAILABLE (IdP away, nothing cached): authinfo unavailable, with its reason logged', async () => {
    daemon.handler = (req) => ({ kind: 'frame',
      payload: encodeResponse(req.op, STATUS.UNAVAILABLE, 'the IdP is unreachable and no password of alice is cached on this host') });
    const r = await pamtester('ward', 'alice', ['authenticate']);
    expect(r.said).toContain(SAYS.unavail);
    expect(env.sink.moduleLines().some((l) => l.includes('no password of alice is cached on this host'))).toBe(true);
  });

  it('daemon wedged (accepts, never answers): account gives up within 1.5 s, a password check within 3.5 s', async () => {
    daemon.handler = () => ({ kind: 'hang' });
    const account = await pamtester('ward', 'alice', ['acct_mgmt']);
    expect(account.said).toContain(SAYS.unavail);
    expect(account.ms).toBeLessThan(1500);

    const auth = await pamtester('ward', 'alice', ['authenticate']);
    expect(auth.said).toContain(SAYS.unavail);
    expect(auth.ms).toBeLessThan(3500);
    expect(daemon.asked('PAM_AUTH')).toHaveLength(1);
  });

  it('a malformed answer is a refusal in auth, even with both ignore options', async () => {
    for (const [what, reply] of MALFORMED) {
      daemon.handler = () => reply;
      for (const service of ['ward', 'ward-ignore']) {
        const r = await pamtester(service, 'alice', ['authenticate']);
        expect(r.signal, what).toBeNull();
        expect(r.code, `${what} (${service}): ${r.said}`).not.toBe(0);
        expect(r.said, `${what} (${service})`).toContain(SAYS.authErr);
        expect(r.said, what).not.toContain(SAYS.authenticated);
      }
    }
  });

  it('a malformed answer is a refusal in account and session, even with both ignore options', async () => {
    for (const [what, reply] of MALFORMED) {
      daemon.handler = () => reply;
      const account = await pamtester('ward-ignore', 'alice', ['acct_mgmt']);
      expect(account.code, `${what}: ${account.said}`).not.toBe(0);
      expect(account.said, what).toContain(SAYS.systemErr);
      const session = await pamtester('ward-ignore', 'alice', ['open_session']);
      expect(session.code, `${what}: ${session.said}`).not.toBe(0);
      expect(session.said, what).toContain(SAYS.sessionErr);
    }
  });

  it('a password change stops at the preliminary check when the lookup answer is malformed', async () => {
    // PW_BY_NAME answers a passwd record; a bare message in its place is not one.
    daemon.handler = (req) => req.op === 'PW_BY_NAME' ? framed(u32(STATUS.OK), str('alice')) : normal(req);
    const r = await bed.pamtester('ward', 'alice', ['chauthtok'], { input: 'a\nb\nb\n', socket: daemon.path });
    expect(r.code).not.toBe(0);
    expect(r.said).toContain(SAYS.authtokErr);
    expect(daemon.asked('PAM_CHAUTHTOK')).toEqual([]);
  });
});
