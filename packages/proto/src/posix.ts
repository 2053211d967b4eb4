/**
 * The rule for POSIX numbers (uidnumber / gidnumber). Accounts and groups share one number space,
 * because a POSIX person's uid is also the gid of its primary group.
 *
 * Refused, because the host or systemd own them:
 *   0-999                     system accounts and groups (Debian, Fedora, SUSE: SYS_UID_MAX 999)
 *   60000-65535               Debian's reserved range, systemd dynamic users (61184-65519),
 *                             nobody/nogroup (65534), and the 16-bit "-1" (65535)
 *   524288-1879048191         systemd-nspawn container ranges (0x80000-0x6FFFFFFF)
 *   2147483648 and above      negative as a signed 32-bit id_t; many tools break
 * Allowed when given explicitly: 1000-59999, 65536-524287, 1879048192-2147483647.
 * Allocated automatically: upward from 65536 (so they never collide with local users, who start
 * at 1000), never reused after a delete.
 */
export const POSIX_ALLOWED_RANGES: ReadonlyArray<readonly [number, number]> = [
  [1000, 59999],
  [65536, 524287],
  [1879048192, 2147483647],
];
export const POSIX_ALLOC_FIRST = 65536;
export const POSIX_ALLOC_LAST = 524287;

export function posixIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'number' || !Number.isInteger(id)) return 'a POSIX number must be an integer';
  for (const [lo, hi] of POSIX_ALLOWED_RANGES) if (id >= lo && id <= hi) return undefined;
  return `${id} is in a reserved system range (allowed: ${POSIX_ALLOWED_RANGES.map(([a, b]) => `${a}-${b}`).join(', ')})`;
}

export const DEFAULT_SHELL = '/bin/bash';
