/**
 * The directory the native tests' fake daemon serves: a few named users and groups with known
 * shapes (a nested group, a group of 2000 members, a 3000-character gecos that overflows glibc's
 * first enumeration buffer, long member names) and enough generated entries to span several
 * enumeration pages.
 */
import type { Group, User } from './fake-daemon.js';

export const ALICE_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';
export const ALICE_KEY2 =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= alice@phone';

function user(name: string, uid: number, extra: Partial<User> = {}): User {
  return { name, uid, gid: uid, gecos: name, dir: `/home/${name}`, shell: '/bin/bash', keys: [], gids: [uid], ...extra };
}

export const WIDE_GECOS = 'W'.repeat(3000);
export const BIG_MEMBERS = Array.from({ length: 2000 }, (_, i) => `m${String(i).padStart(4, '0')}`);
export const LONG_MEMBERS = Array.from({ length: 5 }, (_, i) => `member${'x'.repeat(50)}${i}`);

export const USERS: User[] = [
  user('alice', 70001, {
    gecos: 'Alice Example',
    keys: [ALICE_KEY, ALICE_KEY2],
    // devs directly; ops through devs (nested, resolved by the daemon); big; a repeat on purpose.
    gids: [70001, 70100, 70200, 70300, 70100],
  }),
  user('bob', 70002, { gids: [70002, 70100] }),
  user('wide', 70003, { gecos: WIDE_GECOS }),
  ...Array.from({ length: 600 }, (_, i) => user(`user${String(i).padStart(3, '0')}`, 71000 + i)),
];

export const GROUPS: Group[] = [
  { name: 'alice', gid: 70001, members: [] },
  { name: 'bob', gid: 70002, members: [] },
  { name: 'devs', gid: 70100, members: ['alice', 'bob'] },
  { name: 'ops', gid: 70200, members: ['devs'] },
  { name: 'big', gid: 70300, members: [...BIG_MEMBERS, 'alice'] },
  { name: 'wideg', gid: 70400, members: LONG_MEMBERS },
  ...Array.from({ length: 300 }, (_, i) => ({ name: `grp${String(i).padStart(3, '0')}`, gid: 72000 + i, members: [] })),
];

export function passwdLine(u: User): string {
  return `${u.name}:*:${u.uid}:${u.gid}:${u.gecos}:${u.dir}:${u.shell}`;
}

export function groupLine(g: Group): string {
  return `${g.name}:x:${g.gid}:${g.members.join(',')}`;
}
