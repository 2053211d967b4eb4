import { describe, expect, it } from 'vitest';
import { commonPasswords, isCommonPassword, nameParts, passwordQualityProblem } from './password-quality.js';

describe('password quality', () => {
  it('ships a list of common passwords', () => {
    expect(commonPasswords().size).toBeGreaterThan(10_000);
    for (const p of ['password', 'Password', 'qwertyuiop', 'iloveyou', 'baseball', '1qaz2wsx', 'trustno1']) {
      expect(isCommonPassword(p)).toBe(true);
    }
    expect(isCommonPassword('password123!')).toBe(true);
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
  });

  it('refuses short, long, blank, common and own-name passwords with a reason', () => {
    expect(passwordQualityProblem('short')).toMatch(/at least 8/);
    expect(passwordQualityProblem('abcdefghij', { minLength: 12 })).toMatch(/at least 12/);
    expect(passwordQualityProblem('x'.repeat(1025))).toMatch(/at most 1024/);
    expect(passwordQualityProblem('          ')).toMatch(/whitespace/);
    expect(passwordQualityProblem('sunshine')).toMatch(/most common/);
    expect(passwordQualityProblem('Lovelace-rules-2024', { names: ['ada', 'Ada Lovelace'] })).toMatch(/your name/);
    expect(passwordQualityProblem('my ada.lovelace pw', { names: ['ada.lovelace'] })).toMatch(/your name/);
    expect(passwordQualityProblem(42)).toMatch(/text/);
  });

  it('accepts a decent passphrase, and the minimum never drops below 8', () => {
    expect(passwordQualityProblem('violet tractor sings')).toBeUndefined();
    expect(passwordQualityProblem('zq8#Lw1m', { minLength: 4 })).toBeUndefined();
    expect(passwordQualityProblem('zq8#Lw1', { minLength: 4 })).toMatch(/at least 8/);
  });

  it('splits names into parts worth refusing', () => {
    expect(nameParts(['ada.lovelace', 'Ada Lovelace', 'al'])).toEqual(['ada', 'lovelace', 'adalovelace']);
  });
});
