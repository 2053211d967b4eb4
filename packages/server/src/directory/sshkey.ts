/**
 * OpenSSH public keys: parsing, validation and canonical output.
 *
 * Accepted: one `type base64 [comment]` line (authorized_keys without options; a leading option
 * list is refused, since options like `command=` belong to the host, not to the directory).
 * The base64 blob is decoded and its wire format checked field by field (RFC 4253 §6.6, RFC 5656,
 * RFC 8709 and OpenSSH's PROTOCOL.u2f): the inner type must match, the key material must be a real
 * key (an Ed25519 key of 32 bytes, an ECDSA point on its curve, an RSA modulus of at least 2048
 * bits with a sane exponent), security-key types carry their application string, and no byte may
 * be left over. DSA and anything else are refused. The key is stored parsed and written back out
 * from the parsed form, so the input text itself is never echoed.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { SSH_KEY_MAX_LENGTH, WardError, hasControlCharacters } from '@ward/proto';

export interface ParsedSshKey {
  type: string;
  blob: Buffer;
  comment: string;
  /** `SHA256:` + unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  bits: number;
}

export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 16384;
export const SSH_COMMENT_MAX_LENGTH = 1024;
const SK_APPLICATION_MAX_LENGTH = 256;

const EC_CURVES = {
  nistp256: { jwk: 'P-256', size: 32, bits: 256 },
  nistp384: { jwk: 'P-384', size: 48, bits: 384 },
  nistp521: { jwk: 'P-521', size: 66, bits: 521 },
} as const;
type CurveName = keyof typeof EC_CURVES;

export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
const KNOWN_TYPES: ReadonlySet<string> = new Set(SSH_KEY_TYPES);

function invalid(why: string): WardError {
  return new WardError('invalid_ssh_key', `the SSH public key is not valid: ${why}`);
}

/** A bounds-checked reader over the SSH wire format (uint32 length-prefixed strings). */
class WireReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  string(what: string): Buffer {
    if (this.offset + 4 > this.buf.length) throw invalid(`the key data is truncated (reading ${what})`);
    const length = this.buf.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (length > this.buf.length - start) throw invalid(`the key data is truncated (reading ${what})`);
    this.offset = start + length;
    return this.buf.subarray(start, this.offset);
  }

  text(what: string): string {
    const bytes = this.string(what);
    if (!/^[\x21-\x7e]*$/.test(bytes.toString('latin1'))) throw invalid(`${what} is not printable ASCII`);
    return bytes.toString('latin1');
  }

  /** A positive mpint in canonical form (RFC 4251 §5); returns its magnitude without sign byte. */
  positiveMpint(what: string): Buffer {
    const bytes = this.string(what);
    if (bytes.length === 0) throw invalid(`${what} is zero`);
    if (bytes[0]! & 0x80) throw invalid(`${what} is negative`);
    if (bytes[0] === 0 && (bytes.length === 1 || !(bytes[1]! & 0x80))) throw invalid(`${what} is not in canonical form`);
    return bytes[0] === 0 ? bytes.subarray(1) : bytes;
  }

  end(): void {
    if (this.offset !== this.buf.length) throw invalid('the key data has trailing bytes');
  }
}

function bitLength(magnitude: Buffer): number {
  return magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

function checkEd25519(r: WireReader): number {
  if (r.string('the Ed25519 key').length !== 32) throw invalid('an Ed25519 key must be 32 bytes');
  return 256;
}

function checkEcdsa(r: WireReader, expected: CurveName): number {
  const curveName = r.text('the curve name');
  if (curveName !== expected) throw invalid(`the curve ${curveName} does not match the key type`);
  const curve = EC_CURVES[expected];
  const point = r.string('the ECDSA point');
  if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) {
    throw invalid(`the ECDSA point is not an uncompressed ${curve.jwk} point`);
  }
  const jwk = {
    kty: 'EC',
    crv: curve.jwk,
    x: point.subarray(1, 1 + curve.size).toString('base64url'),
    y: point.subarray(1 + curve.size).toString('base64url'),
  };
  try {
    createPublicKey({ key: jwk, format: 'jwk' }); // OpenSSL refuses a point not on the curve
  } catch {
    throw invalid(`the ECDSA point is not on the ${curve.jwk} curve`);
  }
  return curve.bits;
}

function checkRsa(r: WireReader): number {
  const e = r.positiveMpint('the RSA exponent');
  const n = r.positiveMpint('the RSA modulus');
  const bits = bitLength(n);
  if (bits < RSA_MIN_BITS) throw invalid(`an RSA key must have at least ${RSA_MIN_BITS} bits (this one has ${bits})`);
  if (bits > RSA_MAX_BITS) throw invalid(`an RSA key may have at most ${RSA_MAX_BITS} bits (this one has ${bits})`);
  if (bitLength(e) > 33 || !(e[e.length - 1]! & 1) || (e.length === 1 && e[0]! < 3)) {
    throw invalid('the RSA exponent must be odd, at least 3 and at most 33 bits');
  }
  if (!(n[n.length - 1]! & 1)) throw invalid('the RSA modulus is even');
  try {
    createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
  } catch {
    throw invalid('the RSA key is not accepted by OpenSSL');
  }
  return bits;
}

function checkApplication(r: WireReader): void {
  const application = r.text('the security-key application');
  if (application.length === 0 || application.length > SK_APPLICATION_MAX_LENGTH) {
    throw invalid('the security-key application string is empty or too long');
  }
}

/** Validates the decoded blob of a key of `type`; returns its size in bits. */
function checkBlob(type: string, blob: Buffer): number {
  const r = new WireReader(blob);
  const inner = r.text('the key type');
  if (inner !== type) throw invalid(`the key data is of type ${inner || '(empty)'}, not ${type}`);
  let bits: number;
  switch (type) {
    case 'ssh-ed25519':
      bits = checkEd25519(r);
      break;
    case 'sk-ssh-ed25519@openssh.com':
      bits = checkEd25519(r);
      checkApplication(r);
      break;
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
      bits = checkEcdsa(r, type.slice('ecdsa-sha2-'.length) as CurveName);
      break;
    case 'sk-ecdsa-sha2-nistp256@openssh.com':
      bits = checkEcdsa(r, 'nistp256');
      checkApplication(r);
      break;
    case 'ssh-rsa':
      bits = checkRsa(r);
      break;
    default:
      throw invalid(`the key type ${type} is not supported`);
  }
  r.end();
  return bits;
}

export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The canonical authorized_keys line of a parsed key. */
export function renderSshKey(key: { type: string; blob: Buffer; comment: string }): string {
  const line = `${key.type} ${key.blob.toString('base64')}`;
  return key.comment ? `${line} ${key.comment}` : line;
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses and validates one OpenSSH public key line; throws `invalid_ssh_key` saying why not. */
export function parseSshPublicKey(text: unknown): ParsedSshKey {
  if (typeof text !== 'string') throw invalid('it must be text');
  if (text.length > SSH_KEY_MAX_LENGTH) throw invalid(`it is longer than ${SSH_KEY_MAX_LENGTH} characters`);
  // One trailing newline, as `cat key.pub` gives, is fine; any other line break or control
  // character is not.
  const line = text.replace(/\r?\n$/, '').trim();
  if (line.length === 0) throw invalid('it is empty');
  if (hasControlCharacters(line.replace(/\t/g, ' '))) throw invalid('it contains a line break, a control character or a text-direction override');
  const match = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!match) throw invalid('expected "type base64-data [comment]"');
  const [, type, data, rawComment] = match as unknown as [string, string, string, string | undefined];
  if (!KNOWN_TYPES.has(type)) {
    if (type === 'ssh-dss') throw invalid('DSA keys are refused (insecure and removed from OpenSSH)');
    throw invalid(
      `unknown key type "${type.slice(0, 64)}" (supported: ${SSH_KEY_TYPES.join(', ')}; options before the key are not accepted)`,
    );
  }
  if (data.length % 4 !== 0 || !BASE64_RE.test(data)) throw invalid('the key data is not valid base64');
  const blob = Buffer.from(data, 'base64');
  if (blob.toString('base64') !== data) throw invalid('the key data is not canonical base64');
  const bits = checkBlob(type, blob);
  const comment = (rawComment ?? '').replace(/\t/g, ' ').trim();
  if (comment.length > SSH_COMMENT_MAX_LENGTH) throw invalid(`the comment is longer than ${SSH_COMMENT_MAX_LENGTH} characters`);
  return { type, blob, comment, fingerprint: sshFingerprint(blob), bits };
}
