/**
 * Helpers for the sign-in and credential tests (not shipped behaviour): create a person, give them
 * credentials through a real reset link and credential update session, and walk the REST sign-in
 * (`/v1/auth/begin`, `/v1/auth/step`) the way the CLI does.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { base32Decode, totpCode } from '../credentials/totp.js';
import type { CredentialUpdates } from '../credentials/types.js';
import { rawRequest, type RawResponse, type TestServer } from '../testing/index.js';
import type { SoftAuthenticator } from '../testing/soft-authenticator.js';

export function cuService(srv: TestServer): CredentialUpdates {
  if (!srv.app) throw new Error('the test server must run in-process');
  return srv.app.credentialUpdates;
}

export async function createPerson(srv: TestServer, admin: string, name: string, displayname = name, groups: string[] = []): Promise<void> {
  const r = await rawRequest(srv, { method: 'POST', path: '/v1/person', token: admin, json: { name, displayname } });
  if (r.status >= 300) throw new Error(`create ${name}: ${r.text}`);
  for (const g of groups) {
    await rawRequest(srv, { method: 'POST', path: '/v1/group', token: admin, json: { name: g } });
    const m = await rawRequest(srv, { method: 'POST', path: `/v1/group/${g}/members`, token: admin, json: { members: [name] } });
    if (m.status >= 300) throw new Error(`add ${name} to ${g}: ${m.text}`);
  }
}

export async function resetToken(srv: TestServer, admin: string, name: string, ttl?: number): Promise<string> {
  const r = await rawRequest(srv, { method: 'POST', path: `/v1/person/${name}/credential/reset_token`, token: admin, json: ttl ? { ttl } : {} });
  if (r.status !== 201) throw new Error(`reset token for ${name}: ${r.text}`);
  return r.json.token as string;
}

export interface Enrolled {
  totpSecret?: Buffer;
  backupCodes?: string[];
}

/** Sets credentials for `name` through a reset link, as the person would, and commits. */
export async function enrol(
  srv: TestServer,
  admin: string,
  name: string,
  want: { password?: string; totp?: boolean; backupCodes?: boolean; passkey?: SoftAuthenticator },
): Promise<Enrolled> {
  const cu = cuService(srv);
  const { id } = cu.beginWithResetToken(await resetToken(srv, admin, name));
  const out: Enrolled = {};
  if (want.password) await cu.setPassword(id, want.password);
  if (want.totp) {
    const { secret } = cu.totpInit(id);
    out.totpSecret = base32Decode(secret)!;
    cu.totpVerify(id, 'phone', totpCode(out.totpSecret, Date.now()));
  }
  if (want.backupCodes) out.backupCodes = await cu.backupCodesGenerate(id);
  if (want.passkey) await cu.passkeyFinish(id, 'laptop', want.passkey.register(await cu.passkeyInit(id)));
  await cu.commit(id);
  return out;
}

/** A TOTP code one step ahead (accepted within the ±1 skew), so it differs from the enrolment code. */
export function nextCode(secret: Buffer, steps = 1): string {
  return totpCode(secret, Date.now() + steps * 30_000);
}

export function begin(srv: TestServer, name?: string): Promise<RawResponse> {
  return rawRequest(srv, { method: 'POST', path: '/v1/auth/begin', json: name === undefined ? {} : { name } });
}

export function step(srv: TestServer, session: string, body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(srv, { method: 'POST', path: '/v1/auth/step', json: { session, ...body } });
}

/** begin + password step; the answer of the password step. */
export async function passwordStep(srv: TestServer, name: string, password: string): Promise<RawResponse> {
  const b = await begin(srv, name);
  return step(srv, b.json.session, { kind: 'password', password });
}

/** A username-less (or named) passkey sign-in; the answer of the passkey step. */
export async function passkeySignIn(srv: TestServer, authn: SoftAuthenticator, name?: string): Promise<RawResponse> {
  const b = await begin(srv, name);
  const response: AuthenticationResponseJSON = authn.authenticate(b.json.passkey_options as PublicKeyCredentialRequestOptionsJSON);
  return step(srv, b.json.session, { kind: 'passkey', response });
}
