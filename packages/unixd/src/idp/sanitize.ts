/**
 * Checks every account and group the IdP sends before it reaches the cache, because what the
 * daemon serves ends up in getpwnam() results, in paths and in sshd's authorized keys. The IdP
 * enforces the same rules; this is the host's own line of defence against a misconfigured or
 * compromised IdP: a uid of 0 or in a system range, a name that is not a POSIX name, a key line
 * with an embedded newline (which would smuggle a second key or options into sshd) are refused.
 *
 * An entry that fails is dropped (and logged by the caller); a bad item inside a list (one SSH
 * key, one member) drops that item only.
 *
 * `expire_at` arrived with the offline expiry check: an IdP older than this host sends none, and
 * its accounts are taken as never expiring (its `locked` still carries expiry at fetch time)
 * rather than dropped, so upgrading hosts before the IdP does not hide every user.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  DISPLAYNAME_MAX_LENGTH, SSH_KEY_MAX_LENGTH, UnixAccount, UnixGroup, isRfc3339, isValidDomain, isValidName,
  isValidShell, posixIdProblem,
} from '@ward/proto';

const accountSchema = TypeCompiler.Compile(UnixAccount);
const groupSchema = TypeCompiler.Compile(UnixGroup);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** `type base64 [comment]` with no options prefix and no control characters anywhere. */
// eslint-disable-next-line no-control-regex
const SSH_KEY_RE = /^[a-z0-9][a-z0-9@.-]{0,63} [A-Za-z0-9+/]+={0,3}( [^\u0000-\u001f\u007f]*)?$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export type Checked<T> = { ok: true; value: T; dropped: string[] } | { ok: false; problem: string };

function shapeProblem(schema: typeof accountSchema | typeof groupSchema, raw: unknown, what: string): string {
  const first = schema.Errors(raw).First();
  return `not a ${what} (${first ? `${first.path}: ${first.message}` : 'wrong shape'})`;
}

function spnProblem(name: string, spn: string): string | undefined {
  const at = spn.indexOf('@');
  if (at < 0 || spn.slice(0, at) !== name || !isValidDomain(spn.slice(at + 1))) {
    return `spn ${JSON.stringify(spn)} is not ${name}@<domain>`;
  }
  return undefined;
}

function entryProblem(uuid: string, name: string, spn: string, num: number): string | undefined {
  if (!UUID_RE.test(uuid)) return `uuid ${JSON.stringify(uuid)} is not a lower-case UUID`;
  if (!isValidName(name)) return `name ${JSON.stringify(name)} is not a valid name`;
  return spnProblem(name, spn) ?? posixIdProblem(num);
}

/** One plain authorized_keys line whose base64 blob really is a key of the named type. */
export function isValidSshKeyLine(line: string): boolean {
  if (line.length > SSH_KEY_MAX_LENGTH || !SSH_KEY_RE.test(line)) return false;
  const [type, b64] = line.split(' ') as [string, string];
  const blob = Buffer.from(b64, 'base64');
  if (blob.length < 4) return false;
  const len = blob.readUInt32BE(0);
  return len === Buffer.byteLength(type) && blob.length > 4 + len && blob.subarray(4, 4 + len).toString('latin1') === type;
}

/** passwd's gecos field: printable, no `:` (it would break every /etc/passwd-format parser). */
export function cleanGecos(text: string): string {
  return text.replace(CONTROL_RE, ' ').replace(/:/g, ' ').trim().slice(0, DISPLAYNAME_MAX_LENGTH);
}

/** An IdP without `expire_at` (older than this host) means "never", not a malformed account. */
function withExpiry(raw: unknown): unknown {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('expire_at' in raw) ? { ...raw, expire_at: null } : raw;
}

function timeProblem(field: string, value: string | null): string | undefined {
  if (value === null || (isRfc3339(value) && Number.isFinite(Date.parse(value)))) return undefined;
  return `${field} ${JSON.stringify(value.slice(0, 80))} is not an RFC 3339 date-time`;
}

function expiryProblem(expireAt: string | null): string | undefined {
  return timeProblem('expire_at', expireAt);
}

export function checkAccount(input: unknown): Checked<UnixAccount> {
  const raw = withExpiry(input);
  if (!accountSchema.Check(raw)) return { ok: false, problem: shapeProblem(accountSchema, raw, 'UnixAccount') };
  const a = raw;
  const problem = entryProblem(a.uuid, a.name, a.spn, a.uidnumber) ?? posixIdProblem(a.gidnumber) ?? expiryProblem(a.expire_at)
    ?? (a.password_changed_at === undefined ? undefined : timeProblem('password_changed_at', a.password_changed_at));
  if (problem) return { ok: false, problem };
  const dropped: string[] = [];
  const groups = a.groups.filter((g) => {
    const bad = (isValidName(g.name) ? spnProblem(g.name, g.spn) : `name ${JSON.stringify(g.name)}`) ?? posixIdProblem(g.gidnumber);
    if (bad) dropped.push(`group ${JSON.stringify(g.name)}: ${bad}`);
    return !bad;
  });
  const sshkeys = a.sshkeys.filter((k) => {
    const ok = isValidSshKeyLine(k);
    if (!ok) dropped.push(`an SSH key that is not one plain authorized_keys line`);
    return ok;
  });
  const value: UnixAccount = {
    uuid: a.uuid,
    name: a.name,
    spn: a.spn,
    displayname: cleanGecos(a.displayname),
    uidnumber: a.uidnumber,
    gidnumber: a.gidnumber,
    shell: isValidShell(a.shell) ? a.shell : '',
    groups: groups.map((g) => ({ name: g.name, spn: g.spn, gidnumber: g.gidnumber })),
    sshkeys,
    locked: a.locked,
    expire_at: a.expire_at,
    // Absent from an IdP older than this host: then nothing can be said about password changes.
    ...(a.password_changed_at === undefined ? {} : { password_changed_at: a.password_changed_at }),
  };
  return { ok: true, value, dropped };
}

export function checkGroup(raw: unknown): Checked<UnixGroup> {
  if (!groupSchema.Check(raw)) return { ok: false, problem: shapeProblem(groupSchema, raw, 'UnixGroup') };
  const g = raw;
  const problem = entryProblem(g.uuid, g.name, g.spn, g.gidnumber);
  if (problem) return { ok: false, problem };
  const dropped: string[] = [];
  const members = [...new Set(g.members)].filter((m) => {
    const ok = isValidName(m);
    if (!ok) dropped.push(`member ${JSON.stringify(m)}: not a valid name`);
    return ok;
  });
  return { ok: true, value: { uuid: g.uuid, name: g.name, spn: g.spn, gidnumber: g.gidnumber, members }, dropped };
}
