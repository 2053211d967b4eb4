/**
 * The commands persons and service accounts share, registered once for each kind:
 * create, get, list, update, delete, and their `posix` and `ssh` subcommands. The routes differ
 * only in their prefix (`person_*`, `service_account_*`), so one function serves both.
 */
import { Option, type Command } from 'commander';
import {
  SSH_KEY_MAX_LENGTH, WardError, type Account, type Ok, type SshKey, type UnixAccount, type UpdateAccountRequest,
} from '@ward/proto';
import {
  parseDescription, parseDisplayName, parseExpireAt, parseMails, parseName, parsePosixId, parseRef, parseShell, parseTag,
} from '../args.js';
import type { Context } from '../context.js';
import { act, type Runtime } from '../program.js';
import { accountFields, accountRow, sshKeyFields, sshKeyRow, unixAccountFields } from '../render.js';
import { readSecret, readTextArgument } from '../secrets.js';
import { createdStatus, sameEntry } from './changes.js';

export type AccountKind = 'person' | 'service_account';

const LABEL: Record<AccountKind, string> = { person: 'person', service_account: 'service account' };

interface CreateOpts {
  mail?: string[];
  description?: string;
}

interface UpdateOpts {
  displayname?: string;
  mail?: string[] | false;
  newname?: string;
  description?: string;
  lock?: boolean;
  unlock?: boolean;
  expire?: string;
}

/** The PATCH body for `update`, or a usage error when the options ask for nothing or contradict. */
function updateRequest(opts: UpdateOpts): UpdateAccountRequest {
  const req: UpdateAccountRequest = {};
  if (opts.newname !== undefined) req.name = parseName(opts.newname);
  if (opts.displayname !== undefined) req.displayname = parseDisplayName(opts.displayname);
  if (opts.mail !== undefined) req.mail = opts.mail === false ? [] : parseMails(opts.mail);
  if (opts.description !== undefined) req.description = opts.description === '' ? null : parseDescription(opts.description);
  if (opts.lock && opts.unlock) throw new WardError('bad_request', '--lock and --unlock contradict each other');
  if (opts.lock) req.locked = true;
  if (opts.unlock) req.locked = false;
  if (opts.expire !== undefined) req.expire_at = parseExpireAt(opts.expire);
  if (Object.keys(req).length === 0) throw new WardError('bad_request', 'nothing to change: give at least one option (see --help)');
  return req;
}

export function registerAccountCommands(parent: Command, runtime: Runtime, kind: AccountKind): void {
  const label = LABEL[kind];
  const get = (ctx: Context, id: string) => ctx.authenticated().call<Account>(`${kind}_get`, { params: { id } });

  parent
    .command('create')
    .description(`create a ${label}; creating an identical one again changes nothing`)
    .argument('<name>', 'login name: a-z first, then a-z 0-9 _ - .')
    .argument('<displayname>', 'the name shown to people')
    .option('--mail <address...>', 'mail addresses')
    .option('--description <text>', 'a note for administrators')
    .action(
      act(runtime, async (ctx, name: string, displayname: string, opts: CreateOpts) => {
        const body = {
          name: parseName(name),
          displayname: parseDisplayName(displayname),
          ...(opts.mail ? { mail: parseMails(opts.mail) } : {}),
          ...(opts.description !== undefined ? { description: parseDescription(opts.description) } : {}),
        };
        const res = await ctx.authenticated().callWithStatus<Account>(`${kind}_create`, { body });
        ctx.out.change(createdStatus(res.status), `${label} ${res.body.name}`, 'created', { entry: res.body });
      }),
    );

  parent
    .command('get')
    .description(`show a ${label}`)
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const account = await get(ctx, parseRef(name));
        ctx.out.entry(account, accountFields(account));
      }),
    );

  parent
    .command('list')
    .description(`list ${label}s: name, uidnumber (- without POSIX), display name`)
    .action(
      act(runtime, async (ctx) => {
        const accounts = await ctx.authenticated().call<Account[]>(`${kind}_list`);
        ctx.out.list(accounts, accountRow);
      }),
    );

  parent
    .command('update')
    .description(`change attributes of a ${label}`)
    .argument('<name>', 'name, spn or uuid')
    .option('--displayname <text>', 'the name shown to people')
    .option('--mail <address...>', 'replace the mail addresses')
    .option('--no-mail', 'remove every mail address')
    .option('--newname <name>', 'rename (the uuid, POSIX numbers and memberships stay)')
    .option('--description <text>', 'a note for administrators ("" removes it)')
    .addOption(new Option('--lock', 'refuse every login of this account').conflicts('unlock'))
    .option('--unlock', 'lift the lock')
    .option('--expire <when>', 'RFC 3339 instant after which logins are refused, or "never"')
    .action(
      act(runtime, async (ctx, name: string, opts: UpdateOpts) => {
        const id = parseRef(name);
        const body = updateRequest(opts);
        const before = await get(ctx, id);
        const after = await ctx.authenticated().call<Account>(`${kind}_update`, { params: { id: before.uuid }, body });
        ctx.out.change(!sameEntry(before, after), `${label} ${after.name}`, 'updated', { entry: after });
      }),
    );

  parent
    .command('delete')
    .description(`delete a ${label}`)
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const id = parseRef(name);
        const res = await ctx.authenticated().call<Ok>(`${kind}_delete`, { params: { id } });
        ctx.out.change(res.changed ?? true, `${label} ${id}`, 'deleted');
      }),
    );

  registerPosix(parent.command('posix').description(`POSIX attributes of a ${label}`), runtime, kind, get);
  registerSsh(parent.command('ssh').description(`SSH public keys of a ${label}`), runtime, kind);
}

function registerPosix(posix: Command, runtime: Runtime, kind: AccountKind, get: (ctx: Context, id: string) => Promise<Account>): void {
  const label = LABEL[kind];
  posix
    .command('set')
    .description(`enable POSIX for a ${label} (a uidnumber is allocated) or change its primary group or shell`)
    .argument('<name>', 'name, spn or uuid')
    .option('--gidnumber <n>', 'the primary group number (default: the account\u2019s own group, same as its uid)')
    .option('--shell <path>', 'the login shell, e.g. /bin/bash')
    .action(
      act(runtime, async (ctx, name: string, opts: { gidnumber?: string; shell?: string }) => {
        const id = parseRef(name);
        const body = {
          ...(opts.gidnumber !== undefined ? { gidnumber: parsePosixId(opts.gidnumber) } : {}),
          ...(opts.shell !== undefined ? { shell: parseShell(opts.shell) } : {}),
        };
        const before = await get(ctx, id);
        const after = await ctx.authenticated().call<Account>(`${kind}_posix_set`, { params: { id: before.uuid }, body });
        const changed = JSON.stringify(before.posix) !== JSON.stringify(after.posix);
        ctx.out.change(changed, `${label} ${after.name}`, 'POSIX attributes set', { entry: after }, [
          ['uidnumber', after.posix?.uidnumber],
          ['gidnumber', after.posix?.gidnumber],
          ['shell', after.posix?.shell],
        ]);
      }),
    );

  posix
    .command('show')
    .description(`show a ${label} as a host sees it: numbers, shell, groups, SSH keys`)
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const unix = await ctx.authenticated().call<UnixAccount>(`${kind}_posix_get`, { params: { id: parseRef(name) } });
        ctx.out.entry(unix, unixAccountFields(unix));
      }),
    );

  posix
    .command('set-password')
    .description('set the unix password (for host logins); read from a prompt, or standard input when it is not a terminal')
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const id = parseRef(name);
        const client = ctx.authenticated();
        const password = await readSecret({ what: `new unix password for ${id}`, confirm: true });
        const res = await client.call<Ok>(`${kind}_unix_password_set`, { params: { id }, body: { password } });
        ctx.out.change(res.changed ?? true, `${label} ${id}`, 'unix password set');
      }),
    );
}

function registerSsh(ssh: Command, runtime: Runtime, kind: AccountKind): void {
  const label = LABEL[kind];
  ssh
    .command('add-publickey')
    .description('add an SSH public key under a tag; adding the same key under the same tag again changes nothing')
    .argument('<name>', 'name, spn or uuid')
    .argument('<tag>', 'a short label for the key, e.g. laptop')
    .argument('<key>', 'the OpenSSH public key line, "-" to read it from standard input, or @FILE')
    .action(
      act(runtime, async (ctx, name: string, tag: string, keyArg: string) => {
        const id = parseRef(name);
        const keyTag = parseTag(tag);
        const key = await readTextArgument(keyArg, 'SSH public key', SSH_KEY_MAX_LENGTH);
        if (key.length === 0) throw new WardError('invalid_ssh_key', 'the SSH public key is empty');
        if (/[\r\n]/.test(key)) throw new WardError('invalid_ssh_key', 'give one SSH public key per call (the input has several lines)');
        const res = await ctx.authenticated().callWithStatus<SshKey>(`${kind}_ssh_add`, { params: { id }, body: { tag: keyTag, key } });
        ctx.out.change(createdStatus(res.status), `${label} ${id}`, `SSH key ${keyTag} added`, { entry: res.body }, sshKeyFields(res.body));
      }),
    );

  ssh
    .command('list-publickeys')
    .description('list SSH keys: tag, type, bits, fingerprint, comment')
    .argument('<name>', 'name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const keys = await ctx.authenticated().call<SshKey[]>(`${kind}_ssh_list`, { params: { id: parseRef(name) } });
        ctx.out.list(keys, sshKeyRow);
      }),
    );

  ssh
    .command('delete-publickey')
    .description('delete the SSH key with this tag')
    .argument('<name>', 'name, spn or uuid')
    .argument('<tag>', 'the tag given when the key was added')
    .action(
      act(runtime, async (ctx, name: string, tag: string) => {
        const id = parseRef(name);
        const keyTag = parseTag(tag);
        const res = await ctx.authenticated().call<Ok>(`${kind}_ssh_delete`, { params: { id, tag: keyTag } });
        ctx.out.change(res.changed ?? true, `${label} ${id}`, `SSH key ${keyTag} deleted`);
      }),
    );
}
