/**
 * Local checks of command-line arguments, with the same rules the server applies (from
 * @ward/proto), so that bad input fails fast with exit 2 and a clear message and never reaches
 * the server. Each parser returns the value to send or throws a WardError from the catalog.
 */
import {
  DISPLAYNAME_MAX_LENGTH, SSH_TAG_RE, WardError, hasControlCharacters, isValidDomain, isValidMail,
  isValidShell, nameProblem, posixIdProblem,
} from '@ward/proto';

/** Quote user input in a message so control characters or spaces cannot disguise it. */
export function quote(value: string): string {
  const shown = value.length > 80 ? value.slice(0, 77) + '...' : value;
  return JSON.stringify(shown);
}

/** A plain entry name, as given to `create` or `--newname`. */
export function parseName(value: string): string {
  const problem = nameProblem(value);
  if (problem) throw new WardError('invalid_name', `${quote(value)}: ${problem}`);
  return value;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A reference to an existing entry: its name, its spn (`name@domain`) or its uuid. */
export function parseRef(value: string): string {
  if (UUID_RE.test(value)) return value;
  const at = value.indexOf('@');
  if (at < 0) return parseName(value);
  const domain = value.slice(at + 1);
  if (!isValidDomain(domain)) throw new WardError('invalid_name', `${quote(value)}: the part after "@" is not a valid domain`);
  parseName(value.slice(0, at));
  return value;
}

export function parseDisplayName(value: string): string {
  if (value.trim().length === 0) throw new WardError('invalid_attribute', 'a display name must not be empty');
  if (value.length > DISPLAYNAME_MAX_LENGTH) {
    throw new WardError('invalid_attribute', `a display name must be at most ${DISPLAYNAME_MAX_LENGTH} characters`);
  }
  if (hasControlCharacters(value)) throw new WardError('invalid_attribute', 'a display name must not contain control characters');
  return value;
}

export function parseDescription(value: string): string {
  if (value.length > 1024) throw new WardError('invalid_attribute', 'a description must be at most 1024 characters');
  if (hasControlCharacters(value)) throw new WardError('invalid_attribute', 'a description must not contain control characters');
  return value;
}

export function parseMail(value: string): string {
  if (!isValidMail(value)) throw new WardError('invalid_attribute', `${quote(value)} is not a mail address`);
  return value;
}

export function parseMails(values: string[]): string[] {
  if (values.length > 16) throw new WardError('invalid_attribute', 'at most 16 mail addresses');
  return values.map(parseMail);
}

export function parseShell(value: string): string {
  if (!isValidShell(value)) {
    throw new WardError('invalid_attribute', `${quote(value)} is not a login shell (an absolute path without "..", spaces or control characters)`);
  }
  return value;
}

/** A uidnumber or gidnumber: decimal digits, outside the reserved system ranges. */
export function parsePosixId(value: string): number {
  if (!/^[0-9]{1,10}$/.test(value)) throw new WardError('invalid_attribute', `${quote(value)} is not a POSIX number`);
  const id = Number(value);
  const problem = posixIdProblem(id);
  if (problem) throw new WardError('reserved_id', problem);
  return id;
}

export function parseTag(value: string): string {
  if (!SSH_TAG_RE.test(value)) {
    throw new WardError('invalid_attribute', `${quote(value)} is not a key tag (1-64 of a-z A-Z 0-9 "_" "." "@" "-", starting with a letter or digit)`);
  }
  return value;
}

export function parseLabel(value: string): string {
  if (value.length < 1 || value.length > 128) throw new WardError('invalid_attribute', 'a token label must be 1-128 characters');
  if (hasControlCharacters(value)) throw new WardError('invalid_attribute', 'a token label must not contain control characters');
  return value;
}

/** Token ids and session ids are opaque to the CLI; only their shape is checked. */
export function parseOpaqueId(value: string, what: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new WardError('bad_request', `${quote(value)} is not a ${what}`);
  return value;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp with an explicit offset; returns the instant in ms. */
export function parseRfc3339(value: string): number {
  const m = RFC3339_RE.exec(value);
  const ms = m ? Date.parse(value.replace(' ', 'T')) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw new WardError('invalid_attribute', `${quote(value)} is not an RFC 3339 timestamp (e.g. 2030-01-31T12:00:00Z)`);
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new WardError('invalid_attribute', `${quote(value)} is not a valid date and time`);
  }
  return ms;
}

/** `--expire`: an RFC 3339 instant, or `never` to clear the expiry. */
export function parseExpireAt(value: string): string | null {
  if (value === 'never') return null;
  return new Date(parseRfc3339(value)).toISOString();
}

const TOKEN_MIN_SECONDS = 60;
const TOKEN_MAX_SECONDS = 10 * 365 * 86400;

/** `--expiry`: a lifetime in seconds, or the RFC 3339 instant the token stops working. */
export function parseTokenExpiry(value: string, now = Date.now()): number {
  const seconds = /^[0-9]{1,12}$/.test(value) ? Number(value) : Math.ceil((parseRfc3339(value) - now) / 1000);
  if (seconds < TOKEN_MIN_SECONDS || seconds > TOKEN_MAX_SECONDS) {
    throw new WardError('invalid_attribute', `a token must live between ${TOKEN_MIN_SECONDS} seconds and 10 years`);
  }
  return seconds;
}

/** A duration: seconds (`3600`) or with a unit (`90s`, `30m`, `2h`, `1d`), within [min, max] seconds. */
export function parseDuration(value: string, what: string, min: number, max: number): number {
  const m = /^([0-9]{1,9})([smhd]?)$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!m || seconds < min || seconds > max) {
    throw new WardError('invalid_attribute', `${what} must be ${min} to ${max} seconds (e.g. 3600, 30m, 2h), not ${quote(value)}`);
  }
  return seconds;
}
