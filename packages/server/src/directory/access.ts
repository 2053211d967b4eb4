/**
 * Access control of the directory. Every operation calls these checks with its Actor before it
 * reads or changes anything; the transports (HTTP, commands) only authenticate.
 *
 * The rules:
 *  1. `anonymous` (no token) reads nothing but the unix view (accounts, groups and SSH keys a host
 *     needs, served without an Actor); every other operation is `unauthenticated`.
 *  2. A read-only API token (readWrite=false) never writes: `read_only_token`, before anything else.
 *  3. Rights come from membership, nested included, in the built-in groups:
 *       idm_admins                  everything identity-related (all rows below);
 *       idm_people_admins           persons: create, change, lock, delete, their SSH keys;
 *       idm_group_admins            groups: create, delete, membership;
 *       idm_unix_admins             POSIX attributes and unix passwords of accounts and groups;
 *       idm_service_account_admins  service accounts, their SSH keys and their API tokens;
 *       idm_oauth2_admins           OAuth2 / OpenID Connect clients (src/oauth2/admin.ts): register
 *                                   applications, read and reset their client secrets, and decide
 *                                   through scope and claim maps which groups use them and what
 *                                   they receive; not part of idm_admins, since a client secret and
 *                                   a claim map speak for every person signing in to an application;
 *       system_admins               the membership of built-in groups and the privileged entries
 *                                   of rule 5 (together with the ordinary right for the change),
 *                                   and OAuth2 clients as idm_oauth2_admins.
 *     A member of any of these groups may read every account and group.
 *  4. Anyone else reads only their own account (and its SSH keys and API tokens) and may manage
 *     their own SSH keys and their own unix password; a reference to any other entry is
 *     `forbidden` whether or not it exists, so nothing leaks beyond the unix view.
 *  5. Privilege escalation is closed off. Only system_admins change the membership of a built-in
 *     group or of a group nested in one (adding yourself to idm_admins, or to a group inside it, is
 *     `forbidden`). An account that holds administrative rights (it is, nested included, in
 *     built-in groups) is changed or deleted only by someone above it: whoever could set its keys,
 *     unix password, API tokens or lock could use or lock out its rights (an
 *     idm_service_account_admin minting a token for a service account in idm_group_admins would
 *     gain group administration). So holders of delegated rights (idm_people_admins,
 *     idm_group_admins, idm_unix_admins, idm_service_account_admins) are managed by idm_admins and
 *     system_admins, never by their peers; members of idm_admins or system_admins and built-in
 *     accounts by system_admins only. Self-service (own SSH keys, own unix password) is exempt.
 *  6. Membership that lifts or imposes an account policy is a policy change. Changing the members
 *     of a group that carries a policy, or sits (nested) in one that does, needs idm_admins, the
 *     right to change that policy; adding or removing an administrator (an account, or a group
 *     holding one, that holds administrative rights) there needs system_admins, who alone may
 *     tighten the policy of administrators. Nesting a built-in group into any group, or taking
 *     it out, needs system_admins: it hands on or fences in administrative rights wholesale.
 *  7. Built-in entries are never deleted (`builtin`); that is checked after the rights, so someone
 *     without rights learns nothing but `forbidden`.
 */
import { WardError } from '@ward/proto';
import { KIND_LABEL, type BuiltinGroupName, type DirectoryCore, type EntryKind, type EntryRow } from './core.js';
import { BUILTIN_GROUPS, type AccountKind, type Actor } from './types.js';

const ALL_BUILTIN = Object.keys(BUILTIN_GROUPS) as BuiltinGroupName[];

export type AccountAspect = 'attributes' | 'delete' | 'posix' | 'unix_password' | 'ssh_keys' | 'api_tokens' | 'credentials';
export type GroupAspect = 'members' | 'posix' | 'delete';

const SELF_SERVICE: ReadonlySet<AccountAspect> = new Set(['ssh_keys', 'unix_password']);

/** The built-in groups an actor is in, nested membership included. */
export class Rights {
  constructor(
    readonly actor: Actor,
    private readonly groups: ReadonlySet<BuiltinGroupName>,
  ) {}

  has(group: BuiltinGroupName): boolean {
    return this.groups.has(group);
  }

  /** idm_admins, or one of the specific groups. */
  any(...groups: BuiltinGroupName[]): boolean {
    return this.groups.has('idm_admins') || groups.some((g) => this.groups.has(g));
  }

  get isReader(): boolean {
    return this.groups.size > 0;
  }

  isSelf(uuid: string): boolean {
    return this.actor.uuid === uuid;
  }
}

function isAnonymous(core: DirectoryCore, actor: Actor): boolean {
  if (actor.kind === 'anonymous') return true;
  const row = core.entryByUuid(actor.uuid);
  return row?.name === 'anonymous' && row.builtin === 1;
}

/** The actor's rights; `unauthenticated` for anonymous. */
export function rightsOf(core: DirectoryCore, actor: Actor): Rights {
  if (isAnonymous(core, actor)) throw new WardError('unauthenticated', 'sign in first: anonymous may only read the unix view');
  const memberOf = core.memberOf(actor.uuid);
  const groups = new Set<BuiltinGroupName>();
  for (const name of ALL_BUILTIN) {
    const uuid = core.builtinGroupUuid(name);
    if (uuid && memberOf.has(uuid)) groups.add(name);
  }
  return new Rights(actor, groups);
}

/** Rights for a write: also refuses read-only tokens. */
export function writeRightsOf(core: DirectoryCore, actor: Actor): Rights {
  const rights = rightsOf(core, actor);
  if (!actor.readWrite) throw new WardError('read_only_token', 'this token is read-only; use a read-write token to make changes');
  return rights;
}

function forbidden(message: string): WardError {
  return new WardError('forbidden', message);
}

/**
 * The entry `ref` points to, for someone with `rights`. A non-reader gets `forbidden` for anything
 * but themselves, so that missing and existing entries look the same to them.
 */
export function targetFor(core: DirectoryCore, rights: Rights, ref: string, kinds: readonly EntryKind[]): EntryRow {
  const row = core.resolve(ref);
  if (!rights.isReader && (!row || !rights.isSelf(row.uuid))) {
    throw forbidden('you may only read and manage your own account');
  }
  return core.require(ref, kinds);
}

/** The built-in groups an entry is in, nested membership included. */
function builtinGroupsOf(core: DirectoryCore, row: EntryRow): BuiltinGroupName[] {
  const memberOf = core.memberOf(row.uuid);
  return ALL_BUILTIN.filter((g) => {
    const uuid = core.builtinGroupUuid(g);
    return uuid !== undefined && memberOf.has(uuid);
  });
}

/**
 * Whether changing `row` touches administrative rights (rule 5): a built-in entry, or an entry
 * that is (nested) in a built-in group and so holds or passes on administrative rights.
 */
export function isPrivileged(core: DirectoryCore, row: EntryRow): boolean {
  return row.builtin === 1 || builtinGroupsOf(core, row).length > 0;
}

/** Whether `rights` already hold every right the account `row` holds (rule 5). */
function coversRightsOf(core: DirectoryCore, rights: Rights, row: EntryRow): boolean {
  if (rights.has('system_admins')) return true;
  if (row.builtin === 1) return false;
  const groups = builtinGroupsOf(core, row);
  if (groups.length === 0) return true;
  return rights.has('idm_admins') && groups.every((g) => g !== 'system_admins' && g !== 'idm_admins');
}

function isPrivilegedAdmin(core: DirectoryCore, row: EntryRow): boolean {
  return builtinGroupsOf(core, row).some((g) => g === 'system_admins' || g === 'idm_admins');
}

function managerGroup(kind: AccountKind): BuiltinGroupName {
  return kind === 'person' ? 'idm_people_admins' : 'idm_service_account_admins';
}

export function assertCanCreateAccount(rights: Rights, kind: AccountKind): void {
  const group = managerGroup(kind);
  if (!rights.any(group)) throw forbidden(`only members of ${group} or idm_admins may create ${KIND_LABEL[kind]}s`);
}

export function assertCanChangeAccount(core: DirectoryCore, rights: Rights, target: EntryRow, aspect: AccountAspect): void {
  if (rights.isSelf(target.uuid) && SELF_SERVICE.has(aspect)) return;
  const kind = target.kind as AccountKind;
  const group: BuiltinGroupName =
    aspect === 'posix' || aspect === 'unix_password' ? 'idm_unix_admins' : managerGroup(kind);
  if (!rights.any(group)) {
    throw forbidden(`only members of ${group} or idm_admins may change the ${aspect.replace('_', ' ')} of a ${KIND_LABEL[kind]}`);
  }
  if (!coversRightsOf(core, rights, target)) {
    throw forbidden(
      target.builtin === 1
        ? `"${target.name}" is a built-in account; only members of system_admins may change it`
        : `"${target.name}" holds administrative rights; only members of ${isPrivilegedAdmin(core, target) ? 'system_admins' : 'idm_admins or system_admins'} may change it`,
    );
  }
}

export function assertCanCreateGroup(rights: Rights): void {
  if (!rights.any('idm_group_admins')) throw forbidden('only members of idm_group_admins or idm_admins may create groups');
}

export function assertCanChangeGroup(core: DirectoryCore, rights: Rights, target: EntryRow, aspect: GroupAspect): void {
  if (aspect === 'members' && isPrivileged(core, target)) {
    if (rights.has('system_admins')) return;
    throw forbidden(
      target.builtin === 1
        ? `only members of system_admins may change the membership of the built-in group "${target.name}"`
        : `"${target.name}" sits in a built-in group; only members of system_admins may change its membership`,
    );
  }
  const group: BuiltinGroupName = aspect === 'posix' ? 'idm_unix_admins' : 'idm_group_admins';
  if (!rights.any(group)) throw forbidden(`only members of ${group} or idm_admins may change the ${aspect} of a group`);
  if (aspect === 'delete' && target.builtin === 0 && isPrivileged(core, target) && !rights.has('system_admins')) {
    throw forbidden(`"${target.name}" sits in a built-in group; only members of system_admins may delete it`);
  }
}


/** The group whose account policy covers the members of `group`: itself or a group it sits in. */
function policyCarrier(core: DirectoryCore, group: EntryRow): EntryRow | undefined {
  const uuids = [group.uuid, ...core.memberOf(group.uuid)];
  const carrier = core
    .stmt('SELECT group_uuid FROM account_policies WHERE group_uuid IN (SELECT value FROM json_each(?))')
    .pluck()
    .all(JSON.stringify(uuids)) as string[];
  if (carrier.length === 0) return undefined;
  return carrier.includes(group.uuid) ? group : core.entryByUuid(carrier[0]!);
}

/** The persons an added or removed member brings under a policy (the member or its members). */
function personsOf(core: DirectoryCore, member: EntryRow): EntryRow[] {
  if (member.kind === 'person') return [member];
  if (member.kind !== 'group') return [];
  return core.effectiveMembers(member.uuid).map((u) => core.entryByUuid(u)).filter((r): r is EntryRow => r?.kind === 'person');
}

/**
 * Rule 6, for the members a membership call actually adds or removes (`affected`); the rights
 * on the group itself (assertCanChangeGroup 'members') are checked before.
 */
export function assertCanChangeMembers(core: DirectoryCore, rights: Rights, group: EntryRow, affected: EntryRow[]): void {
  if (rights.has('system_admins') || affected.length === 0) return;
  const builtin = affected.find((m) => m.kind === 'group' && m.builtin === 1);
  if (builtin) {
    throw forbidden(`cannot nest or take out the built-in group "${builtin.name}"; only members of system_admins may nest built-in groups`);
  }
  const carrier = policyCarrier(core, group);
  if (!carrier) return;
  if (!rights.any()) {
    throw forbidden(
      carrier.uuid === group.uuid
        ? `"${group.name}" carries an account policy; only members of idm_admins may change its membership`
        : `"${group.name}" is under the account policy of "${carrier.name}"; only members of idm_admins may change its membership`,
    );
  }
  for (const member of affected) {
    const admin = personsOf(core, member).find((p) => isPrivileged(core, p));
    if (admin) {
      throw forbidden(`"${admin.name}" holds administrative rights; only members of system_admins may put them under an account policy or take them out of one`);
    }
  }
}
