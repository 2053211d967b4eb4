/**
 * `ward service-account ...`: accounts for programs. The account commands are shared with persons
 * (account.ts); API tokens are theirs alone. A generated token is printed once and never again:
 * the server keeps only what it needs to check it.
 */
import type { Command } from 'commander';
import type { ApiToken, CreateApiTokenResponse, Ok } from '@ward/proto';
import { parseLabel, parseOpaqueId, parseRef, parseTokenExpiry } from '../args.js';
import { act, type Runtime } from '../program.js';
import { apiTokenFields, apiTokenRow } from '../render.js';
import { registerAccountCommands } from './account.js';

export function registerServiceAccountCommands(program: Command, runtime: Runtime): void {
  const sa = program
    .command('service-account')
    .description('service accounts: create, read, change, delete; POSIX attributes; SSH keys; API tokens');
  registerAccountCommands(sa, runtime, 'service_account');

  const tokens = sa.command('api-token').description('API tokens of a service account, for scripts (use one with WARD_TOKEN)');
  tokens
    .command('generate')
    .description('generate an API token and print it once')
    .argument('<name>', 'the service account: name, spn or uuid')
    .argument('<label>', 'what the token is for, e.g. "backup job"')
    .option('--rw', 'allow changes (default: read-only)')
    .option('--expiry <when>', 'lifetime in seconds, or the RFC 3339 instant it stops working (default: no expiry)')
    .action(
      act(runtime, async (ctx, name: string, label: string, opts: { rw?: boolean; expiry?: string }) => {
        const id = parseRef(name);
        const body = {
          label: parseLabel(label),
          read_write: opts.rw === true,
          ...(opts.expiry !== undefined ? { expires_in: parseTokenExpiry(opts.expiry) } : {}),
        };
        const res = await ctx.authenticated().call<CreateApiTokenResponse>('service_account_token_create', { params: { id }, body });
        if (!ctx.out.json) ctx.warn('this is the only time the token is shown; store it now');
        ctx.out.change(true, `service account ${id}`, 'API token generated', { token: res.token, entry: res.info }, [
          ...apiTokenFields(res.info),
          ['token', res.token],
        ]);
      }),
    );

  tokens
    .command('list')
    .description('list API tokens: id, access, expiry, label (never the tokens themselves)')
    .argument('<name>', 'the service account: name, spn or uuid')
    .action(
      act(runtime, async (ctx, name: string) => {
        const list = await ctx.authenticated().call<ApiToken[]>('service_account_token_list', { params: { id: parseRef(name) } });
        ctx.out.list(list, apiTokenRow);
      }),
    );

  tokens
    .command('destroy')
    .description('revoke an API token; it stops working at once')
    .argument('<name>', 'the service account: name, spn or uuid')
    .argument('<token_id>', 'the id shown by "api-token list"')
    .action(
      act(runtime, async (ctx, name: string, tokenId: string) => {
        const id = parseRef(name);
        const token_id = parseOpaqueId(tokenId, 'token id');
        const res = await ctx.authenticated().call<Ok>('service_account_token_destroy', { params: { id, token_id } });
        ctx.out.change(res.changed ?? true, `API token ${token_id}`, 'destroyed');
      }),
    );
}
