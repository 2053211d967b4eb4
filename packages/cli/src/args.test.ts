import { describe, expect, it } from 'vitest';
import { WardError } from '@ward/proto';
import { parseExpireAt, parsePosixId, parseRef, parseRfc3339, parseTag, parseTokenExpiry } from './args.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof WardError ? e.code : 'not a WardError';
  }
  return undefined;
}

describe('argument checks', () => {
  it('accepts a name, an spn and a uuid as a reference and refuses everything else', () => {
    expect(parseRef('alice')).toBe('alice');
    expect(parseRef('alice@idm.example.com')).toBe('alice@idm.example.com');
    expect(parseRef('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    for (const bad of ['Alice', 'a b', 'a/b', '..', 'a..b', 'a\u0007', 'x'.repeat(65), 'alice@', 'alice@Bad Domain', '']) {
      expect(codeOf(() => parseRef(bad)), bad).toBe('invalid_name');
    }
  });

  it('refuses POSIX numbers in the reserved ranges and anything not a decimal number', () => {
    expect(parsePosixId('1000')).toBe(1000);
    expect(parsePosixId('65536')).toBe(65536);
    expect(codeOf(() => parsePosixId('999'))).toBe('reserved_id');
    expect(codeOf(() => parsePosixId('65534'))).toBe('reserved_id');
    expect(codeOf(() => parsePosixId('4294967295'))).toBe('reserved_id');
    for (const bad of ['-5', '1e4', '0x1000', '12.5', '', ' 1000']) expect(codeOf(() => parsePosixId(bad)), bad).toBe('invalid_attribute');
  });

  it('reads RFC 3339 instants with an offset and refuses impossible dates', () => {
    expect(parseRfc3339('2030-01-31T12:00:00Z')).toBe(Date.UTC(2030, 0, 31, 12));
    expect(parseExpireAt('2030-01-31T13:00:00+01:00')).toBe('2030-01-31T12:00:00.000Z');
    expect(parseExpireAt('never')).toBeNull();
    for (const bad of ['2030-02-30T00:00:00Z', '2030-01-31', '2030-01-31T12:00:00', 'tomorrow', '2030-01-31T25:00:00Z']) {
      expect(codeOf(() => parseRfc3339(bad)), bad).toBe('invalid_attribute');
    }
  });

  it('turns a token expiry into seconds within the API bounds', () => {
    const now = Date.UTC(2030, 0, 1);
    expect(parseTokenExpiry('3600', now)).toBe(3600);
    expect(parseTokenExpiry('2030-01-02T00:00:00Z', now)).toBe(86400);
    expect(codeOf(() => parseTokenExpiry('10', now))).toBe('invalid_attribute');
    expect(codeOf(() => parseTokenExpiry('2029-12-31T00:00:00Z', now))).toBe('invalid_attribute');
  });

  it('checks SSH key tags', () => {
    expect(parseTag('laptop-2024')).toBe('laptop-2024');
    for (const bad of ['-x', 'a b', 'x'.repeat(65), '']) expect(codeOf(() => parseTag(bad)), bad).toBe('invalid_attribute');
  });
});
