/**
 * The name a sign-in log line shows. A known account's name is shown as typed; anything else is
 * shown as `unknown:` and 12 hex digits of an HMAC under a key made at start: people type their
 * password into the name field, and a log line must never hold it. The tag is the same for the
 * same text within a run (repeated attempts stay visible, and can be matched against a name an
 * administrator suspects, by trying it), and cannot be reversed from the logs.
 */
import { createHmac, randomBytes } from 'node:crypto';

const KEY = randomBytes(32);

export function loggedName(name: string | undefined, known: boolean): string | null {
  if (name === undefined) return null;
  if (known) return name;
  return `unknown:${createHmac('sha256', KEY).update(name).digest('hex').slice(0, 12)}`;
}
