/**
 * `ward group ...`: groups, their (possibly nested) members and their gidnumber. Member changes
 * are idempotent on the server: adding a member twice or removing an absent one reports
 * "unchanged".
 */
import type { Command } from 'commander';
import { WardError, type Group, type MemberList, type Ok, type UnixGroup } from '@ward/proto';
import { parseDescription, parseName, parsePosixId, parseRef } from '../args.js';
import { act, type Runtime } from '../program.js';
import { groupFields, groupRow, memberFields, unixGroupFields } from '../render.js';
import { registerAccountPolicyCommands } from './account-policy.js';
import { createdStatus } from './changes.js';

type MembersRoute = 'group_members_add' | 'group_members_remove' | 'group_members_set';

/** Check and de-duplicate member references, keeping their order. */
function parseMembers(members: string[], allowEmpty: boolean): string[] {
  if (members.length === 0 && !allowEmpty) throw new WardError('bad_request', 'give at least one member');
  if (members.length > 1000) throw new WardError('bad_request', 'at most 1000 members per call');
  return [...new Set(members.map(parseRef))];
}

export function registerGroupCommands(program: Command, runtime: Runtime): void {
  const group = program.command('group').description('groups: create, read, delete; members (nested groups allowed); POSIX gidnumber');

  group
    .command('create')
    .description('create a group; creating an identical one again changes nothing')
    .argument('<name>', 'group name: a-z first, then a-z 0-9 _ - .')
    .option('--description <text>', 'what the group is for')
    .action(
      act(runtime, async (ctx, name: string, opts: { description?: string }) => {
        const body = {
          name: parseName(name),
          ...(opts.description !== undefined ? { description: parseDescription(opts.description) } : {}),
        };
        const res = await ctx.authenticated().callWithStatus<Group>('group_create', { body });
        ctx.out.change(createdStatus(res.status), `group ${res.body.name}`, 'created', { entry: res.body });
      }),
    );

  group
    .command('get')
    .description('show a group')
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const g = await ctx.authenticated().call<Group>('group_get', { params: { id: parseRef(name) } });
        ctx.out.entry(g, groupFields(g));
      }),
    );

  group
    .command('list')
    .description('list groups: name, gidnumber (- without POSIX), description')
    .action(
      act(runtime, async (ctx) => {
        ctx.out.list(await ctx.authenticated().call<Group[]>('group_list'), groupRow);
      }),
    );

  group
    .command('delete')
    .description('delete a group')
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const id = parseRef(name);
        const res = await ctx.authenticated().call<Ok>('group_delete', { params: { id } });
        ctx.out.change(res.changed ?? true, `group ${id}`, 'deleted');
      }),
    );

  const memberCommands: Array<[string, MembersRoute, string, string]> = [
    ['add-members', 'group_members_add', 'add accounts or groups as direct members', 'members added'],
    ['remove-members', 'group_members_remove', 'remove direct members', 'members removed'],
    ['set-members', 'group_members_set', 'replace the direct members (none given: remove all)', 'members set'],
  ];
  for (const [command, route, description, verb] of memberCommands) {
    const allowEmpty = route === 'group_members_set';
    group
      .command(command)
      .description(description)
      .argument('<group>', 'name, spn or uuid')
      .argument(allowEmpty ? '[members...]' : '<members...>', 'accounts or groups: names, spns or uuids')
      .action(
        act(runtime, async (ctx, name: string, members: string[]) => {
          const id = parseRef(name);
          const body = { members: parseMembers(members, allowEmpty) };
          const res = await ctx.authenticated().call<Ok>(route, { params: { id }, body });
          ctx.out.change(res.changed ?? true, `group ${id}`, verb);
        }),
      );
  }

  group
    .command('list-members')
    .description('the direct members, and every account reached through nested groups')
    .argument('<group>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const members = await ctx.authenticated().call<MemberList>('group_members_list', { params: { id: parseRef(name) } });
        ctx.out.entry(members, memberFields(members));
      }),
    );

  const posix = group.command('posix').description('the POSIX side of a group');
  posix
    .command('set')
    .description('make the group a POSIX group (a gidnumber is allocated) or change its gidnumber')
    .argument('<name>', 'name, spn or uuid')
    .option('--gidnumber <n>', 'an explicit gidnumber (1000-59999, 65536-524287, 1879048192-2147483647)')
    .action(
      act(runtime, async (ctx, name: string, opts: { gidnumber?: string }) => {
        const id = parseRef(name);
        const body = opts.gidnumber !== undefined ? { gidnumber: parsePosixId(opts.gidnumber) } : {};
        const client = ctx.authenticated();
        const before = await client.call<Group>('group_get', { params: { id } });
        const after = await client.call<Group>('group_posix_set', { params: { id: before.uuid }, body });
        ctx.out.change(before.gidnumber !== after.gidnumber, `group ${after.name}`, 'POSIX gidnumber set', { entry: after }, [
          ['gidnumber', after.gidnumber],
        ]);
      }),
    );

  posix
    .command('show')
    .description('show the group as a host sees it: gidnumber and POSIX members, nested ones included')
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const g = await ctx.authenticated().call<UnixGroup>('group_posix_get', { params: { id: parseRef(name) } });
        ctx.out.entry(g, unixGroupFields(g));
      }),
    );

  registerAccountPolicyCommands(group, runtime);
}
