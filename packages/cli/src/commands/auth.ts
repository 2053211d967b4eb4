/**
 * Logging in and out, and the caller's sessions: `ward login`, `ward logout`, `ward whoami`,
 * `ward session list|destroy`. Login walks the server's sign-in steps (/v1/auth/begin, /step):
 * the password comes from WARD_PASSWORD, a prompt without echo, or the first line of standard
 * input, never from an argument; when the account has a TOTP, the code comes from WARD_TOTP (or a
 * backup code from WARD_BACKUP_CODE) or a prompt that takes either. The session token goes only
 * to the token cache, never to the output.
 */
import type { Command } from 'commander';
import type { WardClient } from '@ward/client';
import { WardError, type AuthStateResponse, type Ok, type SessionInfo, type WhoamiResponse } from '@ward/proto';
import { parseOpaqueId } from '../args.js';
import { act, type Runtime } from '../program.js';
import { sessionRow, whoamiFields } from '../render.js';
import { readSecret } from '../secrets.js';

export function registerAuthCommands(program: Command, runtime: Runtime): void {
  program
    .command('login')
    .description('sign in (password, then a TOTP or backup code when the account has one) and keep the session token in the token cache')
    .action(
      act(runtime, async (ctx) => {
        const name = ctx.name;
        if (!name) throw new WardError('bad_request', 'no account name: give -D/--name or set WARD_NAME');
        const client = ctx.anonymous();
        const begun = await client.call<AuthStateResponse>('auth_begin', { body: { name } });
        if (!begun.allowed?.includes('password')) throw new WardError('auth_failed', 'the server offers no password sign-in for this name');
        const fromEnv = runtime.env.WARD_PASSWORD;
        const password = fromEnv ? fromEnv : await readSecret({ what: `password for ${name}` });
        let state = await client.call<AuthStateResponse>('auth_step', { body: { session: begun.session!, kind: 'password', password } });
        if (state.state === 'continue') state = await secondFactor(client, state, name, runtime.env);
        if (state.state !== 'success' || !state.token) throw new WardError('auth_failed', 'the server did not complete the sign-in');
        const res = state as Required<Pick<AuthStateResponse, 'token' | 'session_id' | 'expires_at' | 'name' | 'spn'>>;
        const cache = ctx.cache;
        cache.save({
          url: ctx.url,
          name: res.name,
          spn: res.spn,
          token: res.token,
          session_id: res.session_id,
          expires_at: res.expires_at,
          saved_at: new Date().toISOString(),
        });
        ctx.out.message(`logged in to ${ctx.url} as ${res.spn} until ${res.expires_at}`, {
          ok: true,
          changed: true,
          url: ctx.url,
          name: res.name,
          spn: res.spn,
          session_id: res.session_id,
          expires_at: res.expires_at,
          amr: state.amr ?? [],
          token_cache: cache.path,
        });
      }),
    );

  program
    .command('logout')
    .description('end the cached session on the server and remove it from the token cache')
    .action(
      act(runtime, async (ctx) => {
        const url = ctx.url;
        const entry = ctx.cache.find(url, ctx.name);
        if (!entry) {
          ctx.out.message(`not logged in to ${url}${ctx.name ? ` as ${ctx.name}` : ''}: nothing to do`, { ok: true, changed: false, url });
          return;
        }
        // Forget the token first: whatever the server says, this host no longer holds it.
        ctx.cache.remove(entry.url, entry.name);
        const client = ctx.anonymous();
        client.token = entry.token;
        try {
          await client.call<Ok>('auth_logout');
        } catch (e) {
          const code = e instanceof WardError ? e.code : undefined;
          // An expired or revoked session is already over; anything else leaves it open on the server.
          if (code !== 'token_invalid' && code !== 'unauthenticated') {
            throw new WardError(code ?? 'internal', `removed the token from the cache, but the server did not end the session: ${(e as Error).message}`);
          }
        }
        ctx.out.change(true, `${entry.spn} on ${url}`, 'logged out', { url, name: entry.name, spn: entry.spn, session_id: entry.session_id });
      }),
    );

  program
    .command('whoami')
    .description('show the account behind the current token and its groups')
    .action(
      act(runtime, async (ctx) => {
        const me = await ctx.authenticated().call<WhoamiResponse>('auth_whoami');
        ctx.out.entry(me, whoamiFields(me));
      }),
    );

  const session = program.command('session').description('your login sessions');
  session
    .command('list')
    .description('list your sessions; the one this CLI uses is marked (current)')
    .action(
      act(runtime, async (ctx) => {
        const sessions = await ctx.authenticated().call<SessionInfo[]>('session_list');
        ctx.out.list(sessions, sessionRow);
      }),
    );
  session
    .command('destroy')
    .description('end one of your sessions (e.g. one left open on another host)')
    .argument('<session_id>', 'the id shown by "ward session list"')
    .action(
      act(runtime, async (ctx, sessionId: string) => {
        const id = parseOpaqueId(sessionId, 'session id');
        const res = await ctx.authenticated().call<Ok>('session_destroy', { params: { session_id: id } });
        ctx.out.change(res.changed ?? true, `session ${id}`, 'destroyed');
      }),
    );
}

/** A backup code (XXXX-XXXX-XXXX, letters and digits) rather than a 6-digit TOTP code. */
function looksLikeBackupCode(code: string): boolean {
  return /[A-Za-z]/.test(code) || code.replace(/[\s-]/g, '').length > 8;
}

/** The second step: a TOTP code or a backup code, from the environment or a prompt. */
async function secondFactor(client: WardClient, state: AuthStateResponse, name: string, env: NodeJS.ProcessEnv): Promise<AuthStateResponse> {
  const allowed = state.allowed ?? [];
  if (!allowed.includes('totp') && !allowed.includes('backup_code')) {
    throw new WardError('auth_failed', `the server asks for ${allowed.join(' or ') || 'nothing'}, which ward cannot provide; use the web UI`);
  }
  let code = env.WARD_TOTP || env.WARD_BACKUP_CODE;
  let kind: 'totp' | 'backup_code' = env.WARD_TOTP ? 'totp' : 'backup_code';
  if (!code) {
    const what = allowed.includes('backup_code') ? `TOTP code (or a backup code) for ${name}` : `TOTP code for ${name}`;
    code = (await readSecret({ what })).trim();
    kind = looksLikeBackupCode(code) ? 'backup_code' : 'totp';
  }
  return client.call<AuthStateResponse>('auth_step', { body: { session: state.session!, kind, code } });
}
