/**
 * The built-in entries every store starts with, created on first open (and any missing one on a
 * later open, so a release that adds one fills it in). Initial memberships are set only when a
 * group is created, so an administrator's later changes to them stay.
 *
 *   admin       service account, in system_admins and idm_admins; no password until
 *               `wardd recover-account admin` sets one.
 *   idm_admin   service account, in idm_admins; the everyday identity administrator.
 *   anonymous   the account behind requests without a token; can never log in.
 */
import { randomUUID } from 'node:crypto';
import { WardError } from '@ward/proto';
import type { BuiltinGroupName, DirectoryCore } from './core.js';
import { BUILTIN_GROUPS } from './types.js';

interface BuiltinAccount {
  name: string;
  displayname: string;
  description: string;
  memberOf: readonly BuiltinGroupName[];
}

export const BUILTIN_ACCOUNTS: readonly BuiltinAccount[] = [
  { name: 'admin', displayname: 'Administrator', description: 'System administrator (built-in)', memberOf: ['system_admins', 'idm_admins'] },
  { name: 'idm_admin', displayname: 'Identity administrator', description: 'Identity administrator (built-in)', memberOf: ['idm_admins'] },
  { name: 'anonymous', displayname: 'Anonymous', description: 'Requests without a token (built-in)', memberOf: [] },
];

export const BUILTIN_GROUP_DESCRIPTIONS: Record<BuiltinGroupName, string> = {
  idm_admins: 'Manage every identity: persons, groups, POSIX attributes, service accounts',
  idm_people_admins: 'Manage persons and their SSH keys',
  idm_group_admins: 'Manage groups and their membership',
  idm_unix_admins: 'Manage POSIX attributes and unix passwords',
  idm_service_account_admins: 'Manage service accounts, their SSH keys and API tokens',
  idm_oauth2_admins: 'Manage OAuth2 / OpenID Connect applications, their secrets, scope and claim maps',
  system_admins: 'Change built-in groups and administrator accounts',
};

export function seedBuiltins(core: DirectoryCore): void {
  core.write(() => {
    const now = core.now();
    const insert = core.stmt(
      'INSERT INTO entries (uuid, kind, name, displayname, description, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)',
    );
    const ensure = (kind: 'group' | 'service_account', name: string, displayname: string, description: string): boolean => {
      const existing = core.entryByName(name);
      if (existing) {
        if (existing.builtin !== 1 || existing.kind !== kind) {
          throw new WardError('conflict', `the store holds a non-built-in entry named "${name}", which Ward reserves`);
        }
        return false;
      }
      insert.run(randomUUID(), kind, name, displayname, description, now, now);
      return true;
    };
    const newGroups = new Set<string>();
    for (const name of Object.keys(BUILTIN_GROUPS) as BuiltinGroupName[]) {
      if (ensure('group', name, '', BUILTIN_GROUP_DESCRIPTIONS[name])) newGroups.add(name);
    }
    const addMember = core.stmt(
      'INSERT OR IGNORE INTO memberships (group_uuid, member_uuid) SELECT g.uuid, m.uuid FROM entries g, entries m WHERE g.name = ? AND m.name = ?',
    );
    for (const account of BUILTIN_ACCOUNTS) {
      ensure('service_account', account.name, account.displayname, account.description);
      for (const group of account.memberOf) if (newGroups.has(group)) addMember.run(group, account.name);
    }
    core.changed('membership');
  });
}
