/**
 * Issue 10 item 1: a password changed or reset in the IdP ends offline logins with the old one.
 * A host that cached the offline hash of P1 hears through sync that the unix password changed
 * (`password_changed_at`) and drops the hash; with the IdP then gone, P1 is not accepted (nor
 * anything else until the user logs in online again with P2). Another user is not affected.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATUS } from '@ward/proto';
import { makeUser, startIdp, startUnixd, cachedHashNames, waitFor, waitForLive, type DaemonHandle, type Idp } from '../test-support/harness.js';

const P1 = 'erin first unix password';
const P2 = 'erin second unix password';
let idp: Idp;
let d: DaemonHandle;
const auth = (name: string, password: string) => d.call('PAM_AUTH', { name, password }, true);


beforeAll(async () => {
  idp = await startIdp({ process: true });
  await makeUser(idp.admin, 'erin', { password: P1 });
  await makeUser(idp.admin, 'fred', { password: P1 });
  d = await startUnixd(idp.server, { config: { idp_timeout_ms: 1000 } });
  await waitForLive(d);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

test('after a password change in the IdP, the old password no longer works offline', async () => {
  expect((await auth('erin', P1)).status).toBe(STATUS.OK);
  expect((await auth('fred', P1)).status).toBe(STATUS.OK);
  // The offline hashes are stored just after the answers.
  await waitFor(() => cachedHashNames(d).join() === 'erin,fred', 'both offline hashes to be cached');

  await idp.admin.call('person_unix_password_set', { params: { id: 'erin' }, body: { password: P2 } });
  // Sync brings erin's new password_changed_at; her hash goes, fred's stays.
  await waitFor(() => cachedHashNames(d).join() === 'fred', "erin's outdated offline hash to be dropped");

  await idp.server.stop();
  // Offline now: P1 finds no hash to match (UNAVAILABLE, never OK), and fred still logs in.
  await waitFor(async () => {
    const r = await auth('fred', P1);
    return r.status === STATUS.OK && r.msg['message'] === 'authenticated offline from the cached password';
  }, 'fred to log in offline');
  expect(await auth('erin', P1)).toMatchObject({ status: STATUS.UNAVAILABLE });
  expect(await auth('erin', P2)).toMatchObject({ status: STATUS.UNAVAILABLE });
}, 60_000);
