/**
 * WebAuthn passkeys through @simplewebauthn/server: the relying party, the options handed to the
 * browser, and the checks of what comes back. Ward asks for discoverable credentials
 * (residentKey 'required', so a person can sign in without typing a name) with user verification
 * 'required' (the face, fingerprint or PIN of the device; the passkey alone is then two factors),
 * 'none' attestation (no device vendor lists to trust), and ES256, EdDSA and RS256 keys.
 *
 * The relying party id is the server's `domain` when the origin's host is that domain or below it
 * (a passkey then works for every host of the domain), and otherwise the origin's host; the
 * expected origin is the configured `origin`. Challenges are random (32 bytes), single use, and
 * kept server-side in the auth or update session that asked for them.
 *
 * Signature counters: the library refuses an assertion whose counter is not above the stored one
 * (unless both are 0, as with synced passkeys); a refusal is logged by the caller as a possibly
 * cloned authenticator, and the sign-in is denied.
 */
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { StoredPasskey } from '../directory/types.js';

/** EdDSA (-8), ES256 (-7), RS256 (-257): what platform authenticators and security keys use. */
export const PASSKEY_ALGORITHMS = [-8, -7, -257];
export const PASSKEY_TIMEOUT_MS = 120_000;

export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export function relyingParty(config: { domain: string; origin: string }): RelyingParty {
  const host = new URL(config.origin).hostname;
  const id = host === config.domain || host.endsWith(`.${config.domain}`) ? config.domain : host;
  return { id, name: `Ward ${config.domain}`, origin: config.origin };
}

export function registrationOptions(
  rp: RelyingParty,
  user: { handle: string; name: string; displayName: string },
  existing: readonly StoredPasskey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: new Uint8Array(Buffer.from(user.handle, 'base64url')),
    userName: user.name,
    userDisplayName: user.displayName,
    attestationType: 'none',
    timeout: PASSKEY_TIMEOUT_MS,
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
  });
}

/** Checks a registration; the new passkey (without name and dates) or a sentence saying why not. */
export async function verifyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  expectedChallenge: string,
): Promise<Omit<StoredPasskey, 'name' | 'createdAt' | 'lastUsedAt'> | { problem: string }> {
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    });
    if (!result.verified) return { problem: 'the passkey response could not be verified' };
    const info = result.registrationInfo;
    return {
      id: info.credential.id,
      publicKey: new Uint8Array(info.credential.publicKey),
      counter: info.credential.counter,
      transports: info.credential.transports ?? response.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      fmt: info.fmt,
    };
  } catch (e) {
    return { problem: `the passkey response is not valid: ${(e as Error).message}` };
  }
}

/** Options for a sign-in: no allowCredentials, so any discoverable passkey of this site answers. */
export function authenticationOptions(rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({ rpID: rp.id, userVerification: 'required', timeout: PASSKEY_TIMEOUT_MS });
}

/** Checks an assertion against the stored passkey; the new counter, or a sentence saying why not. */
export async function verifyAuthentication(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  passkey: StoredPasskey,
): Promise<{ counter: number } | { problem: string }> {
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports,
      },
    });
    if (!result.verified) return { problem: 'the passkey signature could not be verified' };
    return { counter: result.authenticationInfo.newCounter };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}
