/**
 * Account policy on groups: the least a member must sign in with (credential_type_minimum: any,
 * mfa, passkey), how long their sessions last (auth_expiry) and how long a new password must be
 * (password_minimum_length). A group sets any of the three or none; a person gets, for each, the
 * strictest value among every group they are in, nested included (the highest minimum, the
 * shortest expiry, the longest length). Service accounts (admin, idm_admin included) sign in with
 * a password and are outside the policy, so `wardd recover-account` always lets an administrator in.
 *
 * Changing a policy is an idm_admins right; for a built-in group, or a group inside one, only
 * system_admins may (a stricter policy there could lock administrators out). Reading follows the
 * group's read rights.
 */
import {
  AUTH_EXPIRY_MAX_SECONDS, AUTH_EXPIRY_MIN_SECONDS, CREDENTIAL_TYPE_MINIMUMS, POLICY_PASSWORD_MIN_LENGTH_MAX,
  POLICY_PASSWORD_MIN_LENGTH_MIN, WardError, type AccountPolicy, type CredentialTypeMinimum, type SetAccountPolicyRequest,
} from '@ward/proto';
import { PASSWORD_MIN_LENGTH } from '../credentials/password-quality.js';
import { isPrivileged, rightsOf, targetFor, writeRightsOf } from './access.js';
import type { DirectoryCore, EntryRow } from './core.js';
import type { Actor, EffectivePolicy } from './types.js';
import { checkKeys } from './validate.js';

interface PolicyRow {
  group_uuid: string;
  credential_type_minimum: CredentialTypeMinimum | null;
  auth_expiry: number | null;
  password_minimum_length: number | null;
}

const RANK: Record<CredentialTypeMinimum, number> = { any: 0, mfa: 1, passkey: 2 };

function view(group: EntryRow, row: PolicyRow | undefined): AccountPolicy {
  return {
    group: group.name,
    credential_type_minimum: row?.credential_type_minimum ?? null,
    auth_expiry: row?.auth_expiry ?? null,
    password_minimum_length: row?.password_minimum_length ?? null,
  };
}

function policyRow(core: DirectoryCore, uuid: string): PolicyRow | undefined {
  return core.stmt('SELECT * FROM account_policies WHERE group_uuid = ?').get(uuid) as PolicyRow | undefined;
}

export function getAccountPolicy(core: DirectoryCore, actor: Actor, ref: string): AccountPolicy {
  const rights = rightsOf(core, actor);
  const group = targetFor(core, rights, ref, ['group']);
  return view(group, policyRow(core, group.uuid));
}

function intOrNull(value: unknown, lo: number, hi: number, what: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
    throw new WardError('invalid_attribute', `${what} must be an integer from ${lo} to ${hi}, or null to remove it`);
  }
  return value;
}

export function setAccountPolicy(core: DirectoryCore, actor: Actor, ref: string, req: SetAccountPolicyRequest): AccountPolicy {
  const rights = writeRightsOf(core, actor);
  const group = targetFor(core, rights, ref, ['group']);
  if (!rights.any()) throw new WardError('forbidden', 'only members of idm_admins may change an account policy');
  if (isPrivileged(core, group) && !rights.has('system_admins')) {
    throw new WardError('forbidden', `"${group.name}" is or sits in a built-in group; only members of system_admins may change its account policy`);
  }
  checkKeys(req, new Set(['credential_type_minimum', 'auth_expiry', 'password_minimum_length']), 'an account policy');
  if (Object.keys(req).length === 0) throw new WardError('invalid_attribute', 'an account policy change must set at least one value');
  const ctm = req.credential_type_minimum;
  if (ctm !== undefined && ctm !== null && !(CREDENTIAL_TYPE_MINIMUMS as readonly string[]).includes(ctm)) {
    throw new WardError('invalid_attribute', `credential_type_minimum must be one of ${CREDENTIAL_TYPE_MINIMUMS.join(', ')}`);
  }
  const expiry = req.auth_expiry === undefined ? undefined : intOrNull(req.auth_expiry, AUTH_EXPIRY_MIN_SECONDS, AUTH_EXPIRY_MAX_SECONDS, 'auth_expiry');
  const length =
    req.password_minimum_length === undefined
      ? undefined
      : intOrNull(req.password_minimum_length, POLICY_PASSWORD_MIN_LENGTH_MIN, POLICY_PASSWORD_MIN_LENGTH_MAX, 'password_minimum_length');
  return core.write(() => {
    const row = core.reread(group.uuid);
    const old = policyRow(core, row.uuid);
    const next: PolicyRow = {
      group_uuid: row.uuid,
      credential_type_minimum: ctm === undefined ? (old?.credential_type_minimum ?? null) : ctm,
      auth_expiry: expiry === undefined ? (old?.auth_expiry ?? null) : expiry,
      password_minimum_length: length === undefined ? (old?.password_minimum_length ?? null) : length,
    };
    if (next.credential_type_minimum === null && next.auth_expiry === null && next.password_minimum_length === null) {
      core.stmt('DELETE FROM account_policies WHERE group_uuid = ?').run(row.uuid);
    } else {
      core
        .stmt(
          'INSERT INTO account_policies (group_uuid, credential_type_minimum, auth_expiry, password_minimum_length) VALUES (?, ?, ?, ?) ' +
            'ON CONFLICT (group_uuid) DO UPDATE SET credential_type_minimum = excluded.credential_type_minimum, ' +
            'auth_expiry = excluded.auth_expiry, password_minimum_length = excluded.password_minimum_length',
        )
        .run(next.group_uuid, next.credential_type_minimum, next.auth_expiry, next.password_minimum_length);
    }
    core.changed('data');
    return view(row, next);
  });
}

/** The policy that applies to an account: the strictest of its groups' (persons only). */
export function effectivePolicy(core: DirectoryCore, uuid: string): EffectivePolicy {
  const result: EffectivePolicy = { credentialTypeMinimum: 'any', passwordMinimumLength: PASSWORD_MIN_LENGTH, authExpiry: null };
  const row = core.entryByUuid(uuid);
  if (!row || row.kind !== 'person') return result;
  const groups = [...core.memberOf(uuid)];
  if (groups.length === 0) return result;
  const rows = core
    .stmt('SELECT * FROM account_policies WHERE group_uuid IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(groups)) as PolicyRow[];
  for (const p of rows) {
    if (p.credential_type_minimum && RANK[p.credential_type_minimum] > RANK[result.credentialTypeMinimum]) {
      result.credentialTypeMinimum = p.credential_type_minimum;
    }
    if (p.password_minimum_length !== null) result.passwordMinimumLength = Math.max(result.passwordMinimumLength, p.password_minimum_length);
    if (p.auth_expiry !== null) result.authExpiry = result.authExpiry === null ? p.auth_expiry : Math.min(result.authExpiry, p.auth_expiry);
  }
  return result;
}
