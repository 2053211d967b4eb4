/**
 * Issue 10 item 6: the IdP rate-limiting a user is not a wrong password. After too many wrong
 * passwords the IdP answers `rate_limited`; the daemon must answer UNAVAILABLE (not a credential
 * verdict) and keep the user's offline hash, so the right password still works offline. And
 * offline guessing is throttled per account: from the third wrong password in a row the
 * account's offline check closes for a doubling delay, refusing even the right password unchecked.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATUS } from '@ward/proto';
import { makeUser, startIdp, startUnixd, waitFor, waitForLive, type DaemonHandle, type Idp } from '../test-support/harness.js';

const PW = 'dana unix password 1';
let idp: Idp;
let d: DaemonHandle;
const auth = (password: string) => d.call('PAM_AUTH', { name: 'dana', password }, true);

beforeAll(async () => {
  idp = await startIdp({ process: true, config: { login_failure_limit: 3 } });
  await makeUser(idp.admin, 'dana', { password: PW });
  d = await startUnixd(idp.server, { config: { idp_timeout_ms: 1000 } });
  await waitForLive(d);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('rate_limited from the IdP: UNAVAILABLE, not AUTH_FAILED, and the offline hash survives', async () => {
  expect((await auth(PW)).status).toBe(STATUS.OK);
  for (let i = 0; i < 3; i++) expect((await auth(`wrong ${i}`)).status).toBe(STATUS.AUTH_FAILED);
  const limited = await auth(PW);
  expect(limited).toMatchObject({ status: STATUS.UNAVAILABLE, message: 'too many failed password checks for this account; try again later' });
  expect(d.output()).toMatch(/PAM auth "dana": UNAVAILABLE .*rate_limited/);
  expect(d.output()).not.toMatch(/dropped it from the offline cache/);

  await idp.server.stop();
  await waitFor(async () => (await auth(PW)).status === STATUS.OK, 'the right password to work offline');
}, 60_000);

test('offline guessing is throttled per account: the right password is refused unchecked while the check is closed', async () => {
  for (let i = 0; i < 3; i++) expect((await auth(`guess ${i}`)).status).toBe(STATUS.AUTH_FAILED);
  expect((await auth(PW)).status).toBe(STATUS.AUTH_FAILED);
  // The log line travels through the daemon's stdout pipe, which may trail the socket's answer.
  await waitFor(() => /PAM auth "dana": AUTH_FAILED .*too many wrong passwords: not checked for \d+ s/.test(d.output()), 'the throttle\'s log line');
  // The check opens again after its delay (1 s after the third failure): no fixed sleep, poll.
  await waitFor(async () => (await auth(PW)).status === STATUS.OK, 'the offline check to open again');
}, 60_000);
