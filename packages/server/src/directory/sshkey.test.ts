import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSH_KEY_MAX_LENGTH, WardError } from '@ward/proto';
import { parseSshPublicKey } from './sshkey.js';

let tmp: string;
const keys: Record<string, string> = {};

/** A real key made by ssh-keygen: its .pub line. */
function keygen(name: string, args: string[]): string {
  execFileSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@test host`, '-f', join(tmp, name), ...args]);
  return readFileSync(join(tmp, `${name}.pub`), 'utf8');
}

/** What ssh-keygen -l says about a key line: [bits, fingerprint]. */
function sshKeygenFingerprint(line: string): [number, string] {
  const file = join(tmp, `fp-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, `${line}\n`);
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' });
  const [bits, fingerprint] = out.trim().split(/\s+/);
  return [Number(bits), fingerprint!];
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function line(type: string, ...fields: Array<Buffer | string>): string {
  return `${type} ${Buffer.concat(fields.map(sshString)).toString('base64')}`;
}

function blobOf(keyLine: string): Buffer {
  return Buffer.from(keyLine.split(' ')[1]!, 'base64');
}

function refusal(text: string): string {
  try {
    parseSshPublicKey(text);
  } catch (err) {
    expect(err).toBeInstanceOf(WardError);
    expect((err as WardError).code).toBe('invalid_ssh_key');
    return (err as WardError).message;
  }
  throw new Error(`accepted: ${text.slice(0, 80)}`);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ward-sshkey-'));
  keys.ed25519 = keygen('ed25519', ['-t', 'ed25519']);
  keys.ecdsa256 = keygen('ecdsa256', ['-t', 'ecdsa', '-b', '256']);
  keys.ecdsa384 = keygen('ecdsa384', ['-t', 'ecdsa', '-b', '384']);
  keys.ecdsa521 = keygen('ecdsa521', ['-t', 'ecdsa', '-b', '521']);
  keys.rsa2048 = keygen('rsa2048', ['-t', 'rsa', '-b', '2048']);
  keys.rsa3072 = keygen('rsa3072', ['-t', 'rsa', '-b', '3072']);
  keys.rsa1024 = keygen('rsa1024', ['-t', 'rsa', '-b', '1024']);
  keys.dsa = keygen('dsa', ['-t', 'dsa']);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseSshPublicKey accepts real keys', () => {
  it.each([
    ['ed25519', 'ssh-ed25519', 256],
    ['ecdsa256', 'ecdsa-sha2-nistp256', 256],
    ['ecdsa384', 'ecdsa-sha2-nistp384', 384],
    ['ecdsa521', 'ecdsa-sha2-nistp521', 521],
    ['rsa2048', 'ssh-rsa', 2048],
    ['rsa3072', 'ssh-rsa', 3072],
  ])('%s from ssh-keygen', (name, type, bits) => {
    const text = keys[name]!;
    const key = parseSshPublicKey(text);
    expect(key.type).toBe(type);
    expect(key.bits).toBe(bits);
    expect(key.comment).toBe(`${name}@test host`);
    expect([key.bits, key.fingerprint]).toEqual(sshKeygenFingerprint(text.trim()));
    expect(`${key.type} ${key.blob.toString('base64')} ${key.comment}`).toBe(text.trim());
  });

  it('accepts a key without a comment, and extra blanks around it', () => {
    const [type, data] = keys.ed25519!.trim().split(' ');
    expect(parseSshPublicKey(`  ${type}\t${data}  `).comment).toBe('');
  });

  it('accepts hand-made security-key (FIDO) keys, fingerprinted as ssh-keygen does', () => {
    const ed = blobOf(keys.ed25519!).subarray(4 + 11 + 4); // the 32 key bytes after the type string
    const skEd = `${line('sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com', ed, 'ssh:')} yubikey`;
    const parsedEd = parseSshPublicKey(skEd);
    expect(parsedEd.bits).toBe(256);
    expect([parsedEd.bits, parsedEd.fingerprint]).toEqual(sshKeygenFingerprint(skEd));

    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const skEc = line('sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'nistp256', point, 'ssh:');
    const parsedEc = parseSshPublicKey(skEc);
    expect([parsedEc.bits, parsedEc.fingerprint]).toEqual(sshKeygenFingerprint(skEc));

    expect(refusal(line('sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com', ed))).toMatch(/truncated/);
    expect(refusal(line('sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com', ed, ''))).toMatch(/application/);
  });
});

describe('parseSshPublicKey refuses', () => {
  it('DSA and short RSA keys', () => {
    expect(refusal(keys.dsa!)).toMatch(/DSA keys are refused/);
    expect(refusal(keys.rsa1024!)).toMatch(/at least 2048 bits \(this one has 1024\)/);
  });

  it('garbage, empty input and unknown types', () => {
    expect(refusal('')).toMatch(/empty/);
    expect(refusal('hello')).toMatch(/expected "type base64-data/);
    expect(refusal('ssh-ed25519 !!!notbase64!!!')).toMatch(/not valid base64/);
    expect(refusal('ssh-ed25519 AAAA=AAA')).toMatch(/not valid base64/);
    expect(refusal('ssh-foo AAAAB3NzaC1yc2E=')).toMatch(/unknown key type "ssh-foo"/);
  });

  it('an options prefix (authorized_keys options are not directory data)', () => {
    expect(refusal(`command="/bin/sh" ${keys.ed25519!.trim()}`)).toMatch(/options before the key are not accepted/);
    expect(refusal(`no-pty ${keys.ed25519!.trim()}`)).toMatch(/unknown key type/);
  });

  it('truncated data, trailing bytes and a mismatched inner type', () => {
    const blob = blobOf(keys.ed25519!);
    expect(refusal(`ssh-ed25519 ${blob.subarray(0, blob.length - 1).toString('base64')}`)).toMatch(/truncated/);
    expect(refusal(`ssh-ed25519 ${blob.subarray(0, 10).toString('base64')}`)).toMatch(/truncated/);
    expect(refusal(`ssh-ed25519 ${Buffer.concat([blob, Buffer.from([0])]).toString('base64')}`)).toMatch(/trailing bytes/);
    expect(refusal(`ssh-rsa ${blob.toString('base64')}`)).toMatch(/of type ssh-ed25519, not ssh-rsa/);
    const rsaBlob = blobOf(keys.rsa2048!);
    expect(refusal(`ssh-rsa ${rsaBlob.subarray(0, rsaBlob.length - 7).toString('base64')}`)).toMatch(/truncated/);
  });

  it('key material that is not a key', () => {
    expect(refusal(line('ssh-ed25519', 'ssh-ed25519', Buffer.alloc(31, 1)))).toMatch(/32 bytes/);
    const ecBlob = blobOf(keys.ecdsa256!);
    const offCurve = Buffer.from(ecBlob);
    offCurve[offCurve.length - 1]! ^= 0x01;
    expect(refusal(`ecdsa-sha2-nistp256 ${offCurve.toString('base64')}`)).toMatch(/not on the P-256 curve/);
    expect(refusal(line('ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256', 'nistp384', Buffer.alloc(65, 4)))).toMatch(/curve nistp384 does not match/);
    expect(refusal(line('ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256', 'nistp256', Buffer.alloc(33, 2)))).toMatch(/not an uncompressed/);
    const modulus = Buffer.concat([Buffer.from([0x00, 0xc1]), Buffer.alloc(255, 0x5b)]);
    expect(refusal(line('ssh-rsa', 'ssh-rsa', Buffer.from([0x01, 0x00, 0x00]), modulus))).toMatch(/exponent must be odd/);
    expect(refusal(line('ssh-rsa', 'ssh-rsa', Buffer.from([0x01]), modulus))).toMatch(/exponent must be odd, at least 3/);
    expect(refusal(line('ssh-rsa', 'ssh-rsa', Buffer.from([0x01, 0x00, 0x01]), modulus.subarray(1)))).toMatch(/negative/);
    expect(refusal(line('ssh-rsa', 'ssh-rsa', Buffer.from([0x00, 0x01, 0x00, 0x01]), modulus))).toMatch(/canonical/);
    const even = Buffer.from(modulus);
    even[even.length - 1] = 0x5a;
    expect(refusal(line('ssh-rsa', 'ssh-rsa', Buffer.from([0x01, 0x00, 0x01]), even))).toMatch(/modulus is even/);
  });

  it('oversized input, line breaks and control characters', () => {
    expect(refusal(`ssh-ed25519 ${'A'.repeat(SSH_KEY_MAX_LENGTH)}`)).toMatch(/longer than 8192/);
    const ed = keys.ed25519!.trim();
    expect(refusal(`${ed}\n${keys.ecdsa256!.trim()}`)).toMatch(/line break, a control character/);
    expect(refusal(`${ed}\rinjected`)).toMatch(/line break, a control character/);
    expect(refusal(`${ed} bell\u0007`)).toMatch(/control character/);
    expect(refusal(`${ed} ${'c'.repeat(1100)}`)).toMatch(/comment is longer/);
  });
});
