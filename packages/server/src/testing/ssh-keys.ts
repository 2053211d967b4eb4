/**
 * Fresh SSH public keys in OpenSSH authorized_keys format, made with node:crypto, for tests that
 * add keys (good ones and ones the server must refuse, such as RSA below 2048 bits).
 */
import { generateKeyPairSync } from 'node:crypto';

export type TestSshKeyType = 'ed25519' | 'ecdsa-p256' | 'rsa-2048' | 'rsa-1024';

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An SSH mpint: big-endian, with a leading zero byte when the high bit is set. */
function sshMpint(base64url: string): Buffer {
  let bytes = Buffer.from(base64url, 'base64url');
  while (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) bytes = bytes.subarray(1);
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return sshString(bytes);
}

/** A new public key line: `<type> <base64> <comment>`. */
export function testSshKey(type: TestSshKeyType = 'ed25519', comment = 'test@ward'): string {
  if (type === 'ed25519') {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
    return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
  }
  if (type === 'ecdsa-p256') {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const blob = Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(point)]);
    return `ecdsa-sha2-nistp256 ${blob.toString('base64')} ${comment}`;
  }
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: type === 'rsa-2048' ? 2048 : 1024 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString('ssh-rsa'), sshMpint(jwk.e!), sshMpint(jwk.n!)]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}
