import { describe, expect, it } from 'vitest';
import { isRfc3339, isValidMail, isValidShell, nameProblem, shortName } from './names.js';
import { posixIdProblem } from './posix.js';

describe('names', () => {
  it('accepts POSIX-safe names and refuses everything else', () => {
    for (const ok of ['alice', 'a', 'svc-backup', 'bob_2', 'first.last']) expect(nameProblem(ok)).toBeUndefined();
    for (const bad of ['Alice', 'al ice', 'a/b', '..', 'a..b', '-x', '1abc', '', 'x'.repeat(65), 'a\nb', 'a\u0000', 'é']) {
      expect(nameProblem(bad), bad).toBeTypeOf('string');
    }
  });
  it('maps spns to short names only within the domain', () => {
    expect(shortName('alice@example.com', 'example.com')).toBe('alice');
    expect(shortName('alice', 'example.com')).toBe('alice');
    expect(shortName('alice@other.org', 'example.com')).toBeUndefined();
  });
  it('checks shells and mail addresses', () => {
    expect(isValidShell('/bin/bash')).toBe(true);
    expect(isValidShell('bin/bash')).toBe(false);
    expect(isValidShell('/bin/../bash')).toBe(false);
    expect(isValidShell('/bin/ba sh')).toBe(false);
    expect(isValidMail('alice@example.com')).toBe(true);
    expect(isValidMail('alice example.com')).toBe(false);
  });
  it('recognises RFC 3339 date-times with a time zone only', () => {
    for (const ok of ['2030-01-31T00:00:00Z', '2030-01-31T00:00:00.123Z', '2030-01-31T01:02+02:00']) expect(isRfc3339(ok), ok).toBe(true);
    for (const bad of ['2030-01-31', '2030-01-31T00:00:00', 'tomorrow', 1893456000000, null, `2030-01-31T00:00:00.${'1'.repeat(60)}Z`]) {
      expect(isRfc3339(bad), String(bad)).toBe(false);
    }
  });
});

describe('POSIX number ranges', () => {
  it('refuses system ranges and allows the documented ones', () => {
    for (const bad of [0, 1, 999, 60000, 65534, 65535, 524288, 1000000, 2147483648, -5, 1.5]) expect(posixIdProblem(bad), String(bad)).toBeTypeOf('string');
    for (const ok of [1000, 59999, 65536, 524287, 1879048192, 2147483647]) expect(posixIdProblem(ok), String(ok)).toBeUndefined();
  });
});
