/**
 * Account expiry reaches the host and holds offline: the IdP gives `expire_at` with the account,
 * the daemon keeps it in its cache, and once the moment passes PAM refuses the account
 * ("account expired"), also while wardd is stopped and even for the cached last good password.
 * The account itself keeps resolving: expiry stops logins, not lookups.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATUS } from '@ward/proto';
import { makeGroup, makeUser, sleep, startIdp, startUnixd, waitFor, waitForRefresh, type DaemonHandle, type Idp } from '../test-support/harness.js';

const PASSWORD = 'dora unix password 1';
/** How far ahead the expiry is set: enough for the online steps below to finish before it. */
const LEAD_MS = 4000;
let idp: Idp;
let d: DaemonHandle;

beforeAll(async () => {
  idp = await startIdp({ process: true });
  await makeUser(idp.admin, 'dora', { password: PASSWORD });
  await makeUser(idp.admin, 'olaf', { password: 'olaf unix password 1' });
  await makeGroup(idp.admin, 'devs', ['dora', 'olaf']);
  d = await startUnixd(idp.server, { config: { allowed_login_groups: ['devs'], idp_timeout_ms: 1000 } });
  await waitForRefresh(d, 2);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('an account whose expiry passes while the IdP is down is refused from then on, offline', async () => {
  const expireAt = new Date(Date.now() + LEAD_MS).toISOString();
  await idp.admin.call('person_update', { params: { id: 'dora' }, body: { expire_at: expireAt } });
  // An online password check stores the IdP's fresh copy of the account, and the password hash.
  expect((await d.call('PAM_AUTH', { name: 'dora', password: PASSWORD }, true)).status).toBe(STATUS.OK);
  expect((await d.call('PAM_ACCOUNT', { name: 'dora' }, true)).status).toBe(STATUS.OK);

  await idp.server.stop();
  await sleep(Math.max(0, Date.parse(expireAt) - Date.now() + 100));

  const refused = { status: STATUS.DENIED, message: `account expired: dora could log in until ${expireAt}` };
  expect(await d.call('PAM_ACCOUNT', { name: 'dora' }, true)).toMatchObject(refused);
  expect(await d.call('PAM_AUTH', { name: 'dora', password: PASSWORD }, true)).toMatchObject(refused);
  expect((await d.call('STATUS')).msg['online']).toBe(0);
  // Still resolves (files it owns keep their owner's name), and others are not affected.
  expect((await d.call('PW_BY_NAME', { name: 'dora' })).status).toBe(STATUS.OK);
  expect((await d.call('PAM_ACCOUNT', { name: 'olaf' }, true)).status).toBe(STATUS.OK);
  await waitFor(() => /PAM account "dora": DENIED - account expired/.test(d.output()), 'the refusal in the log', 5000);
}, 60_000);
