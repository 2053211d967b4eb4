/**
 * The quality rules for a new password (primary or unix), after NIST SP 800-63B §3.1.1.2: a
 * minimum length (8, or more from the account policy), at most 1024 characters, no composition
 * rules, and refusal of passwords that are known to be common or that contain the person's own
 * names (the unix password only refuses the account name itself: host passwords predate this
 * rule, and people set them for existing accounts). The common list (data/common-passwords.txt, about 18,000 entries of 8 characters or
 * more from the zxcvbn corpus, MIT) is read once, on first use, into a Set: lookups are O(1) and
 * it costs about 1.5 MB of memory.
 *
 * Comparisons ignore case, and a common password with digits or symbols stuck on its end
 * ("password123!", "qwertyuiop1") counts as the common password it is built on.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
/** Name parts shorter than this are not searched for (they would refuse half of all passwords). */
const NAME_PART_MIN_LENGTH = 3;

/** src/credentials/ and dist/credentials/ are both two folders below the package. */
const LIST_FILE = fileURLToPath(new URL('../../data/common-passwords.txt', import.meta.url));

let common: ReadonlySet<string> | undefined;

export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const lines = readFileSync(LIST_FILE, 'utf8').split('\n');
    common = new Set(lines.filter((line) => line.length > 0 && !line.startsWith('#')));
  }
  return common;
}

export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return true;
  const base = lower.replace(/[\d\W_]+$/u, '');
  return base !== lower && [...base].length >= PASSWORD_MIN_LENGTH && list.has(base);
}

/** The parts of names worth refusing: "Ada Lovelace", "ada.lovelace" -> ada, lovelace, adalovelace. */
export function nameParts(names: readonly string[]): string[] {
  const parts = new Set<string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    const pieces = lower.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    for (const piece of [...pieces, pieces.join('')]) {
      if ([...piece].length >= NAME_PART_MIN_LENGTH) parts.add(piece);
    }
  }
  return [...parts];
}

export interface PasswordRules {
  /** The policy's minimum (never below PASSWORD_MIN_LENGTH). */
  minLength?: number;
  /** The account's own names (login name, display name, mail local parts): not contained. */
  names?: readonly string[];
  /** Names the password must not equal (the unix password's rule, which hosts have long had). */
  exactNames?: readonly string[];
}

/** Why `password` may not be set, as a sentence for its owner; undefined when it is acceptable. */
export function passwordQualityProblem(password: unknown, rules: PasswordRules = {}): string | undefined {
  if (typeof password !== 'string') return 'the password must be text';
  const min = Math.max(PASSWORD_MIN_LENGTH, rules.minLength ?? PASSWORD_MIN_LENGTH);
  const length = [...password].length;
  if (length < min) return `the password must be at least ${min} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `the password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (password.trim().length === 0) return 'the password must not be only whitespace';
  if (isCommonPassword(password)) return 'this password is one of the most common passwords; choose another';
  const lower = password.toLowerCase();
  const part = nameParts(rules.names ?? []).find((p) => lower.includes(p));
  if (part !== undefined) return 'the password must not contain your name';
  if ((rules.exactNames ?? []).some((n) => n.toLowerCase() === lower)) return 'the password must not be the account name';
  return undefined;
}
