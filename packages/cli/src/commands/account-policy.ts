/**
 * `ward group account-policy ...`: the account policy a group sets for its members (nested
 * included; the strictest value among a person's groups applies at sign-in and when credentials
 * change): `credential-type-minimum GROUP any|mfa|passkey`, `auth-expiry GROUP SECONDS`,
 * `password-minimum-length GROUP N`, each also taking `unset`, and `show GROUP`.
 */
import type { Command } from 'commander';
import {
  AUTH_EXPIRY_MAX_SECONDS, AUTH_EXPIRY_MIN_SECONDS, CREDENTIAL_TYPE_MINIMUMS, POLICY_PASSWORD_MIN_LENGTH_MAX,
  POLICY_PASSWORD_MIN_LENGTH_MIN, WardError, type AccountPolicy, type SetAccountPolicyRequest,
} from '@ward/proto';
import { parseDuration, parseRef, quote } from '../args.js';
import type { Fields } from '../output.js';
import { act, type Runtime } from '../program.js';

function policyFields(p: AccountPolicy): Fields {
  return [
    ['group', p.group],
    ['credential_type_minimum', p.credential_type_minimum ?? '(not set)'],
    ['auth_expiry', p.auth_expiry === null ? '(not set)' : `${p.auth_expiry} s`],
    ['password_minimum_length', p.password_minimum_length ?? '(not set)'],
  ];
}

type Key = keyof SetAccountPolicyRequest;

const SETTERS: Array<{ command: string; key: Key; arg: string; description: string; parse: (v: string) => SetAccountPolicyRequest[Key] }> = [
  {
    command: 'credential-type-minimum',
    key: 'credential_type_minimum',
    arg: '<value>',
    description: 'the least members must sign in with: any (a password), mfa (password + TOTP, or a passkey), passkey',
    parse: (v) => {
      if (!(CREDENTIAL_TYPE_MINIMUMS as readonly string[]).includes(v)) {
        throw new WardError('invalid_attribute', `the credential type minimum must be ${CREDENTIAL_TYPE_MINIMUMS.join(', ')} or unset, not ${quote(v)}`);
      }
      return v as SetAccountPolicyRequest['credential_type_minimum'];
    },
  },
  {
    command: 'auth-expiry',
    key: 'auth_expiry',
    arg: '<seconds>',
    description: 'how long members\u2019 sign-in sessions last (seconds, or 30m, 8h, 1d)',
    parse: (v) => parseDuration(v, 'auth-expiry', AUTH_EXPIRY_MIN_SECONDS, AUTH_EXPIRY_MAX_SECONDS),
  },
  {
    command: 'password-minimum-length',
    key: 'password_minimum_length',
    arg: '<n>',
    description: `the shortest password members may set (${POLICY_PASSWORD_MIN_LENGTH_MIN} to ${POLICY_PASSWORD_MIN_LENGTH_MAX})`,
    parse: (v) => {
      const n = /^[0-9]{1,4}$/.test(v) ? Number(v) : NaN;
      if (!(n >= POLICY_PASSWORD_MIN_LENGTH_MIN && n <= POLICY_PASSWORD_MIN_LENGTH_MAX)) {
        throw new WardError('invalid_attribute', `the minimum length must be ${POLICY_PASSWORD_MIN_LENGTH_MIN} to ${POLICY_PASSWORD_MIN_LENGTH_MAX}, not ${quote(v)}`);
      }
      return n;
    },
  },
];

export function registerAccountPolicyCommands(group: Command, runtime: Runtime): void {
  const policy = group.command('account-policy').description('the account policy a group sets for its members (the strictest of a person\u2019s groups applies)');
  policy
    .command('show')
    .description('show the policy values a group sets')
    .argument('<group>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const p = await ctx.authenticated().call<AccountPolicy>('group_account_policy_get', { params: { id: parseRef(name) } });
        ctx.out.entry(p, policyFields(p));
      }),
    );
  for (const s of SETTERS) {
    policy
      .command(s.command)
      .description(`${s.description}; "unset" removes it`)
      .argument('<group>', 'name, spn or uuid')
      .argument(s.arg, `the value, or unset`)
      .action(
        act(runtime, async (ctx, name: string, value: string) => {
          const id = parseRef(name);
          const body = { [s.key]: value === 'unset' ? null : s.parse(value) } as SetAccountPolicyRequest;
          const client = ctx.authenticated();
          const before = await client.call<AccountPolicy>('group_account_policy_get', { params: { id } });
          const after = await client.call<AccountPolicy>('group_account_policy_set', { params: { id }, body });
          ctx.out.change(before[s.key] !== after[s.key], `group ${after.group}`, `account policy ${s.command} set`, { entry: after }, policyFields(after));
        }),
      );
  }
}
