/**
 * Names of accounts and groups. One namespace holds persons, service accounts and groups, as on a
 * Unix host where a person's primary group carries the person's name.
 *
 * The rule is the intersection of what POSIX tools accept and what is safe to put in a path, a
 * log line or an sshd argument: lower-case ASCII letter first, then lower-case letters, digits,
 * `_`, `-` and `.`; at most 64 characters (glibc's LOGIN_NAME_MAX is 256, useradd's 32; 64 keeps
 * `name@domain` short); never `.` or `..` and no `..` inside; never the form of a uuid, since
 * every reference to an entry may be its name or its uuid and must not be ambiguous.
 */
export const NAME_MAX_LENGTH = 64;
const NAME_RE = /^[a-z][a-z0-9_.-]*$/;

export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a name must be a string';
  if (name.length === 0) return 'a name must not be empty';
  if (name.length > NAME_MAX_LENGTH) return `a name must be at most ${NAME_MAX_LENGTH} characters`;
  if (name.includes('..')) return 'a name must not contain ".."';
  if (!NAME_RE.test(name)) {
    return 'a name must start with a lower-case letter and hold only a-z, 0-9, "_", "-" and "."';
  }
  if (UUID_FORM.test(name)) return 'a name must not have the form of a uuid: entries are also named by their uuid';
  return undefined;
}

const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Names no person or service account may take: the system accounts of Linux hosts (Debian and
 * Red Hat base systems, systemd, common daemons). A directory account so named would collide
 * with the host's own on every host (the host's wins, so it would be dead there) and be asserted
 * to applications as `preferred_username=root`. Prefixes: `systemd-` and `_` (Debian's `_apt`,
 * `_chrony`) cover whole families.
 */
export const RESERVED_ACCOUNT_NAMES: ReadonlySet<string> = new Set([
  'root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data',
  'backup', 'list', 'irc', 'gnats', 'nobody', 'nogroup', 'nfsnobody', 'adm', 'shutdown', 'halt', 'operator', 'ftp',
  'sshd', 'messagebus', 'dbus', 'polkitd', 'syslog', 'ntp', 'chrony', 'postfix', 'dnsmasq', 'avahi', 'rpc', 'rpcuser',
  'tss', 'uuidd', 'tcpdump', 'mysql', 'postgres', 'redis', 'nginx', 'apache', 'ward-unixd', 'wardd',
]);

/** Why an account may not take `name` (a reserved system account name), or undefined. */
export function reservedAccountNameProblem(name: string): string | undefined {
  if (RESERVED_ACCOUNT_NAMES.has(name) || name.startsWith('systemd-')) {
    return `"${name}" is reserved for the host's system accounts (see RESERVED_ACCOUNT_NAMES in @ward/proto)`;
  }
  return undefined;
}

export function isValidName(name: unknown): name is string {
  return nameProblem(name) === undefined;
}

/** Domains as used in SPNs (`name@domain`): DNS names in lower case. */
const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
export function isValidDomain(domain: unknown): domain is string {
  return typeof domain === 'string' && DOMAIN_RE.test(domain);
}

/** `alice@example.com` -> `alice` when the domain matches; a bare name stays as it is. */
export function shortName(nameOrSpn: string, domain: string): string | undefined {
  const at = nameOrSpn.indexOf('@');
  if (at < 0) return nameOrSpn;
  return nameOrSpn.slice(at + 1) === domain ? nameOrSpn.slice(0, at) : undefined;
}

/** Display names: any printable text, no control characters, at most 256 characters. */
export const DISPLAYNAME_MAX_LENGTH = 256;
/**
 * Control characters: C0, DEL, C1, the Unicode line and paragraph separators, and the bidi
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make text print in
 * another order than it is stored ("Trojan Source"): a right-to-left override turns the comment
 * `alice@\u202Epotpal` into `alice@laptop` on screen. Right-to-left text needs none of them (the
 * Unicode bidi algorithm orders it); the marks U+200E/U+200F stay allowed.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
export function hasControlCharacters(text: string): boolean {
  return CONTROL_RE.test(text);
}

/** Mail addresses: a deliberately plain check (one @, no spaces or control characters). */
const MAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
export function isValidMail(mail: unknown): mail is string {
  return typeof mail === 'string' && mail.length <= 320 && MAIL_RE.test(mail) && !hasControlCharacters(mail);
}

/** Login shells: an absolute path without `..`, whitespace or control characters. */
export function isValidShell(shell: unknown): shell is string {
  return (
    typeof shell === 'string' &&
    shell.length <= 255 &&
    /^\/[A-Za-z0-9._/+-]*$/.test(shell) &&
    !shell.split('/').includes('..')
  );
}

/**
 * Date-times as the API exchanges them (RFC 3339 with a time zone: `2030-01-31T00:00:00Z`).
 * Syntax only; Date.parse then gives the instant (NaN for a date that does not exist).
 */
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
export function isRfc3339(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && RFC3339_RE.test(value);
}
