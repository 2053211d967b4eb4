/**
 * A software WebAuthn authenticator for tests and benchmarks (part of `@ward/server/testing`):
 * it answers the options the server hands out with registration and assertion responses that a
 * browser with a real platform authenticator would produce: a P-256 key per credential (ES256),
 * 'none' attestation, user presence and user verification flags set, discoverable (it keeps the
 * user handle and returns it, so username-less sign-in works), and a signature counter that goes
 * up by one per assertion. Nothing here is mocked on the server side: the responses go through
 * @simplewebauthn/server's full verification.
 *
 *   const authn = softAuthenticator({ origin: srv.url-as-configured-origin });
 *   const reg = authn.register(creationOptionsJSON);      // -> RegistrationResponseJSON
 *   const assertion = authn.authenticate(requestOptionsJSON); // -> AuthenticationResponseJSON
 *
 * `authenticate` picks a credential for the options' rpId (the allowCredentials one if the
 * options name any), like a browser's account chooser with one account.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** The smallest CBOR encoder that attestation objects and COSE keys need (RFC 8949). */
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cborEncode(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  const parts: Buffer[] = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cborEncode(k), cborEncode(v));
  return Buffer.concat(parts);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftCredential {
  id: string;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  counter: number;
}

export interface SoftAuthenticatorOptions {
  /** The origin the "browser" is on (the server's configured `origin`). */
  origin: string;
  /** Report user verification (default true); false makes responses a server must refuse. */
  userVerified?: boolean;
}

export interface SoftAuthenticator {
  readonly credentials: SoftCredential[];
  register(options: PublicKeyCredentialCreationOptionsJSON): RegistrationResponseJSON;
  authenticate(options: PublicKeyCredentialRequestOptionsJSON, pick?: (c: SoftCredential) => boolean): AuthenticationResponseJSON;
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function rpIdHash(rpId: string): Buffer {
  return createHash('sha256').update(rpId).digest();
}

function counterBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function softAuthenticator(opts: SoftAuthenticatorOptions): SoftAuthenticator {
  const credentials: SoftCredential[] = [];
  const flags = FLAG_UP | (opts.userVerified === false ? 0 : FLAG_UV);
  return {
    credentials,

    register(options) {
      const rpId = options.rp.id ?? new URL(opts.origin).hostname;
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const cose = cborEncode(
        new Map<Cbor, Cbor>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, Buffer.from(jwk.x!, 'base64url')],
          [-3, Buffer.from(jwk.y!, 'base64url')],
        ]),
      );
      const credId = randomBytes(32);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credId.length);
      const authData = Buffer.concat([rpIdHash(rpId), Buffer.from([flags | FLAG_AT]), counterBytes(0), Buffer.alloc(16), idLength, credId, cose]);
      const attestationObject = cborEncode(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
      const id = credId.toString('base64url');
      credentials.push({ id, rpId, userHandle: options.user.id, privateKey, counter: 0 });
      return {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: clientData('webauthn.create', options.challenge, opts.origin).toString('base64url'),
          attestationObject: attestationObject.toString('base64url'),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },

    authenticate(options, pick) {
      const rpId = options.rpId ?? new URL(opts.origin).hostname;
      const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
      const cred = credentials.find((c) => c.rpId === rpId && (allowed.size === 0 || allowed.has(c.id)) && (!pick || pick(c)));
      if (!cred) throw new Error(`the soft authenticator holds no credential for ${rpId}`);
      cred.counter += 1;
      const authData = Buffer.concat([rpIdHash(rpId), Buffer.from([flags]), counterBytes(cred.counter)]);
      const data = clientData('webauthn.get', options.challenge, opts.origin);
      const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(data).digest()]), cred.privateKey);
      return {
        id: cred.id,
        rawId: cred.id,
        type: 'public-key',
        response: {
          clientDataJSON: data.toString('base64url'),
          authenticatorData: authData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: cred.userHandle,
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
}
