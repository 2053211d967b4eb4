import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, timeStep, totpCode, type TotpAlgorithm } from './totp.js';

// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the hash's length.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const VECTORS: Array<[number, string, TotpAlgorithm]> = [
  [59, '94287082', 'sha1'], [59, '46119246', 'sha256'], [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'], [1111111109, '68084774', 'sha256'], [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'], [1111111111, '67062674', 'sha256'], [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'], [1234567890, '91819424', 'sha256'], [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'], [2000000000, '90698825', 'sha256'], [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'], [20000000000, '77737706', 'sha256'], [20000000000, '47863826', 'sha512'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('at %i s the code is %s (%s)', (seconds, expected, algorithm) => {
    expect(totpCode(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm })).toBe(expected);
  });

  it('matches RFC 4226 Appendix D HOTP values', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, i) => expect(hotp(SEEDS.sha1, i)).toBe(code));
  });

  it('accepts one step of skew either side and no more', () => {
    const now = 1_700_000_000_000;
    const step = timeStep(now);
    for (const delta of [-1, 0, 1]) expect(matchTotp(SEEDS.sha1, hotp(SEEDS.sha1, step + delta), now, 0)).toBe(step + delta);
    for (const delta of [-2, 2]) expect(matchTotp(SEEDS.sha1, hotp(SEEDS.sha1, step + delta), now, 0)).toBeUndefined();
  });

  it('refuses a code of a step already used, or older', () => {
    const now = 1_700_000_000_000;
    const step = timeStep(now);
    const code = hotp(SEEDS.sha1, step);
    expect(matchTotp(SEEDS.sha1, code, now, step)).toBeUndefined();
    expect(matchTotp(SEEDS.sha1, hotp(SEEDS.sha1, step - 1), now, step)).toBeUndefined();
    expect(matchTotp(SEEDS.sha1, code, now, step - 1)).toBe(step);
  });

  it('takes codes typed with spaces, refuses non-codes', () => {
    const now = 1_700_000_000_000;
    const code = totpCode(SEEDS.sha1, now);
    expect(matchTotp(SEEDS.sha1, `${code.slice(0, 3)} ${code.slice(3)}`, now, 0)).toBe(timeStep(now));
    for (const bad of ['', '12345', '1234567', 'abcdef', '12345x']) expect(matchTotp(SEEDS.sha1, bad, now, 0)).toBeUndefined();
  });

  it('base32 round-trips and matches RFC 4648 vectors', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(Buffer.from('fo'))).toBe('MZXQ');
    expect(base32Decode('MZXW6YTBOI======')?.toString()).toBe('foobar');
    expect(base32Decode('mzxw 6ytb oi')?.toString()).toBe('foobar');
    expect(base32Decode('MZ1W')).toBeUndefined();
    const secret = Buffer.from('0123456789abcdef0123', 'latin1');
    expect(base32Decode(base32Encode(secret))).toEqual(secret);
  });

  it('writes an otpauth URI apps understand', () => {
    const uri = new URL(otpauthUri(SEEDS.sha1, 'Ward ward.test', 'alice@ward.test'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Ward ward.test:alice@ward.test');
    expect(uri.searchParams.get('secret')).toBe(base32Encode(SEEDS.sha1));
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
  });
});
