/**
 * Backup codes: a set of single-use codes a person writes down, each usable once in place of a
 * TOTP code (after the password). Ten codes of 12 characters from a 32-letter alphabet without
 * look-alikes (60 random bits each), shown as XXXX-XXXX-XXXX. Only hashes are stored: SHA-256
 * over the account uuid and the code. With 60 bits per code a fast hash suffices (as for API
 * tokens): an offline guess costs 2^59 hashes per code on average, and online guesses go through
 * the soft lock.
 */
import { createHash, randomInt } from 'node:crypto';

export const BACKUP_CODE_COUNT = 10;
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const GROUP = 4;
const GROUPS = 3;

export function newBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const groups: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      let s = '';
      for (let c = 0; c < GROUP; c++) s += ALPHABET[randomInt(ALPHABET.length)];
      groups.push(s);
    }
    codes.push(groups.join('-'));
  }
  return codes;
}

/** Upper case, without spaces and dashes; undefined when it cannot be a backup code. */
export function normaliseBackupCode(code: unknown): string | undefined {
  if (typeof code !== 'string' || code.length > 64) return undefined;
  const clean = code.replace(/[\s-]/g, '').toUpperCase();
  return clean.length === GROUP * GROUPS && [...clean].every((ch) => ALPHABET.includes(ch)) ? clean : undefined;
}

export function hashBackupCode(accountUuid: string, code: string): string | undefined {
  const clean = normaliseBackupCode(code);
  return clean === undefined ? undefined : createHash('sha256').update(`${accountUuid}\0${clean}`).digest('base64url');
}
