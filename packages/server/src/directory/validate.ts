/**
 * Validation of attribute values arriving from outside. The HTTP layer checks shapes with TypeBox;
 * these check meaning, and the directory calls them itself so every transport gets the same rules.
 * Each throws a WardError naming the attribute; nothing has been written when they throw.
 */
import {
  DISPLAYNAME_MAX_LENGTH, WardError, hasControlCharacters, isRfc3339, isValidMail, isValidShell, nameProblem, posixIdProblem,
  reservedAccountNameProblem,
} from '@ward/proto';

export const DESCRIPTION_MAX_LENGTH = 1024;
export const MAIL_MAX_COUNT = 16;
export const LABEL_MAX_LENGTH = 128;

function bad(message: string): WardError {
  return new WardError('invalid_attribute', message);
}

/** Refuses keys a request type does not know (the HTTP schema does too; other callers may not). */
export function checkKeys(req: object, allowed: ReadonlySet<string>, what: string): void {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw bad(`${what} must be an object`);
  for (const key of Object.keys(req)) {
    if (!allowed.has(key)) throw bad(`unknown attribute "${key.slice(0, 64)}" in ${what}`);
  }
}

export function checkName(name: unknown): string {
  const problem = nameProblem(name);
  if (problem) throw new WardError('invalid_name', `${problem} (got ${JSON.stringify(String(name).slice(0, 80))})`);
  return name as string;
}

/** A name for a person or service account: also not one of the hosts' system accounts. */
export function checkAccountName(name: unknown): string {
  const checked = checkName(name);
  const problem = reservedAccountNameProblem(checked);
  if (problem) throw new WardError('invalid_name', problem);
  return checked;
}

export function checkDisplayname(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw bad('displayname must be non-empty text');
  if (value.length > DISPLAYNAME_MAX_LENGTH) throw bad(`displayname must be at most ${DISPLAYNAME_MAX_LENGTH} characters`);
  if (hasControlCharacters(value)) throw bad('displayname must not contain control characters');
  return value;
}

export function checkDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw bad('description must be text');
  if (value.length > DESCRIPTION_MAX_LENGTH) throw bad(`description must be at most ${DESCRIPTION_MAX_LENGTH} characters`);
  if (hasControlCharacters(value.replace(/[\n\t]/g, ' '))) throw bad('description must not contain control characters');
  return value.length === 0 ? null : value;
}

/** Mail addresses, duplicates dropped (first occurrence kept, compared without case). */
export function checkMail(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw bad('mail must be a list of addresses');
  if (value.length > MAIL_MAX_COUNT) throw bad(`at most ${MAIL_MAX_COUNT} mail addresses`);
  const seen = new Set<string>();
  const result: string[] = [];
  for (const mail of value) {
    if (!isValidMail(mail)) throw bad(`not a valid mail address: ${JSON.stringify(String(mail).slice(0, 80))}`);
    const key = mail.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(mail);
  }
  return result;
}

/** An RFC 3339 instant with a time zone, as milliseconds; null clears. */
export function checkExpireAt(value: unknown): number | null {
  if (value === null) return null;
  if (!isRfc3339(value)) {
    throw bad('expire_at must be an RFC 3339 date-time with a time zone, e.g. 2030-01-31T00:00:00Z');
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw bad(`expire_at is not a valid date-time: ${value}`);
  return ms;
}

export function checkShell(value: unknown): string {
  if (!isValidShell(value)) {
    throw bad(`shell must be an absolute path without "..", spaces or control characters (got ${JSON.stringify(String(value).slice(0, 80))})`);
  }
  return value;
}

/** A POSIX number given explicitly: integer (invalid_attribute) outside the reserved ranges (reserved_id). */
export function checkPosixId(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw bad(`${what} must be an integer`);
  const problem = posixIdProblem(value);
  if (problem) throw new WardError('reserved_id', `${what} ${problem}`);
  return value;
}

export function checkLabel(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw bad('label must be non-empty text');
  if (value.length > LABEL_MAX_LENGTH) throw bad(`label must be at most ${LABEL_MAX_LENGTH} characters`);
  if (hasControlCharacters(value)) throw bad('label must not contain control characters');
  return value;
}

export function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw bad(`${what} must be true or false`);
  return value;
}
