/**
 * `ward system oauth2 ...`: the web applications that sign people in through Ward (OAuth2 /
 * OpenID Connect clients), who may use them (scope maps on groups), what they receive (claim
 * maps), their client secret, and the IdP's token signing keys. Every change is idempotent and
 * reports "unchanged" when there was nothing to do. Arguments are checked here with the server's
 * own rules (@ward/proto oauth2.ts) before anything is sent. Only members of system_admins or
 * idm_oauth2_admins may use these commands.
 */
import type { Command } from 'commander';
import {
  OAUTH2_CLAIM_JOINS, OAUTH2_ID_TOKEN_ALGS, WardError, claimNameProblem, claimValueProblem, landingUrlProblem, nameProblem,
  redirectUrlProblem, scopeProblem,
  type OAuth2BasicSecret, type OAuth2Client, type OAuth2ClaimJoin, type OAuth2IdTokenAlg, type OAuth2SigningKey, type Ok,
  type UpdateOAuth2ClientRequest,
} from '@ward/proto';
import { parseDisplayName, parseRef, quote } from '../args.js';
import type { Fields } from '../output.js';
import { act, type Runtime } from '../program.js';
import { createdStatus, sameEntry } from './changes.js';

function parseClient(value: string): string {
  const problem = nameProblem(value);
  if (problem) throw new WardError('invalid_name', `${quote(value)}: ${problem}`);
  return value;
}

function checked(value: string, problem: string | undefined): string {
  if (problem) throw new WardError('invalid_attribute', problem);
  return value;
}

/** Scopes as separate arguments or quoted together ("openid profile"). */
function parseScopes(args: string[]): string[] {
  const scopes = [...new Set(args.flatMap((a) => a.split(/\s+/)).filter(Boolean))];
  if (scopes.length === 0) throw new WardError('bad_request', 'give at least one scope');
  for (const s of scopes) checked(s, scopeProblem(s));
  return scopes;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new WardError('invalid_attribute', `${what} must be ${allowed.join(', ')}, not ${quote(value)}`);
  return value as T;
}

const mapLines = (maps: Array<{ group: string; scopes: string[] }>) => maps.map((m) => `${m.group}: ${m.scopes.join(' ')}`);

export function clientFields(c: OAuth2Client): Fields {
  return [
    ['name', c.name],
    ['client_id', c.name],
    ['displayname', c.displayname],
    ['type', c.type],
    ['landing_url', c.landing_url],
    ['redirect_url', c.redirect_urls],
    ['localhost_redirects', c.type === 'public' ? (c.allow_localhost_redirects ? 'allowed' : 'not allowed') : undefined],
    ['pkce', c.pkce_required ? 'required (S256)' : 'optional'],
    ['id_token_alg', c.id_token_alg],
    ['scope_map', mapLines(c.scope_maps)],
    ['sup_scope_map', mapLines(c.sup_scope_maps)],
    ['claim_map', c.claim_maps.flatMap((m) => m.groups.map((g) => `${m.claim} (${m.join}) ${g.group}: ${g.values.join(' | ')}`))],
    ['issuer', c.issuer],
    ['discovery_url', c.discovery_url],
    ['uuid', c.uuid],
    ['created_at', c.created_at],
    ['updated_at', c.updated_at],
  ];
}

const keyRow = (k: OAuth2SigningKey): string[] => [k.alg, k.state, k.kid, k.created_at, k.removed_after ? `published until ${k.removed_after}` : ''];

export function registerOAuth2Commands(program: Command, runtime: Runtime): void {
  const system = program.commands.find((c) => c.name() === 'system') ?? program.command('system').description('system administration: single sign-on');
  const o = system.command('oauth2').description('applications that sign people in through Ward (OAuth2 / OpenID Connect clients)');

  const create = (command: string, isPublic: boolean, description: string) =>
    o
      .command(command)
      .description(description)
      .argument('<name>', 'the client_id: a-z first, then a-z 0-9 _ - .')
      .argument('<displayname>', 'the name people see on the apps and consent pages')
      .argument('<landing_url>', 'where the apps page sends people to use the application')
      .action(
        act(runtime, async (ctx, name: string, displayname: string, landing: string) => {
          const body = { name: parseClient(name), displayname: parseDisplayName(displayname), landing_url: checked(landing, landingUrlProblem(landing)), public: isPublic };
          const res = await ctx.authenticated().callWithStatus<OAuth2Client>('oauth2_create', { body });
          const c = res.body;
          ctx.out.change(createdStatus(res.status), `oauth2 client ${c.name}`, 'created', { client: c }, [
            ['client_id', c.name],
            ['discovery_url', c.discovery_url],
            ['next', `add a redirect URL (add-redirect-url) and a scope map (update-scope-map)${isPublic ? '' : '; the secret: show-basic-secret'}`],
          ]);
        }),
      );
  create('create', false, 'register a confidential client (a server-side application with a client secret)');
  create('create-public', true, 'register a public client (a browser or native app: no secret, PKCE required)');

  o.command('list')
    .description('list clients: name, type, displayname, landing URL')
    .action(act(runtime, async (ctx) => {
      ctx.out.list(await ctx.authenticated().call<OAuth2Client[]>('oauth2_list'), (c) => [c.name, c.type, c.displayname, c.landing_url]);
    }));

  o.command('get')
    .description('show a client with its redirect URLs, scope and claim maps')
    .argument('<name>', 'the client name')
    .action(act(runtime, async (ctx, name: string) => {
      const c = await ctx.authenticated().call<OAuth2Client>('oauth2_get', { params: { id: parseClient(name) } });
      ctx.out.entry(c, clientFields(c));
    }));

  o.command('delete')
    .description('delete a client: every sign-in, grant and token it holds ends')
    .argument('<name>', 'the client name')
    .action(act(runtime, async (ctx, name: string) => {
      const id = parseClient(name);
      const res = await ctx.authenticated().call<Ok>('oauth2_delete', { params: { id } });
      ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, 'deleted');
    }));

  /** A PATCH of one setting, reported as changed when the client differs afterwards. */
  const update = (command: string, description: string, arg: string | undefined, body: (value: string) => UpdateOAuth2ClientRequest, verb: string) => {
    const c = o.command(command).description(description).argument('<name>', 'the client name');
    if (arg) c.argument(arg, '');
    c.action(act(runtime, async (ctx, name: string, value: unknown) => {
      const id = parseClient(name);
      const request = body(typeof value === 'string' ? value : '');
      const client = ctx.authenticated();
      const before = await client.call<OAuth2Client>('oauth2_get', { params: { id } });
      const after = await client.call<OAuth2Client>('oauth2_update', { params: { id }, body: request });
      ctx.out.change(!sameEntry(before, after), `oauth2 client ${id}`, verb, { client: after });
    }));
  };
  update('set-displayname', 'change the name people see', '<displayname>', (v) => ({ displayname: parseDisplayName(v) }), 'displayname set');
  update('set-landing-url', 'change where the apps page sends people', '<landing_url>', (v) => ({ landing_url: checked(v, landingUrlProblem(v)) }), 'landing URL set');
  update('enable-localhost-redirects', 'public clients only: allow http://localhost (any port) redirect URLs for native apps', undefined, () => ({ allow_localhost_redirects: true }), 'localhost redirects enabled');
  update('disable-localhost-redirects', 'refuse localhost redirect URLs again (remove them first)', undefined, () => ({ allow_localhost_redirects: false }), 'localhost redirects disabled');
  update('set-id-token-alg', `sign this client's ID tokens with ${OAUTH2_ID_TOKEN_ALGS.join(' or ')} (ES256 unless the application needs RS256)`, '<alg>',
    (v) => ({ id_token_alg: oneOf<OAuth2IdTokenAlg>(v, OAUTH2_ID_TOKEN_ALGS, 'the algorithm') }), 'ID token algorithm set');
  update('disable-pkce', 'confidential clients only, for applications that cannot send PKCE: allow sign-ins without it (weaker)', undefined, () => ({ pkce_required: false }), 'PKCE optional');
  update('enable-pkce', 'require PKCE (S256) again: the default', undefined, () => ({ pkce_required: true }), 'PKCE required');

  for (const [command, route, verb] of [
    ['add-redirect-url', 'oauth2_redirect_url_add', 'redirect URL added'],
    ['remove-redirect-url', 'oauth2_redirect_url_remove', 'redirect URL removed'],
  ] as const) {
    o.command(command)
      .description(command === 'add-redirect-url' ? 'allow a redirect URL: https, matched exactly (localhost only for public clients that allow it)' : 'remove a redirect URL')
      .argument('<name>', 'the client name')
      .argument('<url>', 'the exact URL the application sends')
      .action(act(runtime, async (ctx, name: string, url: string) => {
        const id = parseClient(name);
        if (route === 'oauth2_redirect_url_add') {
          // The server knows whether localhost is allowed; here only what is never valid is caught.
          const problem = redirectUrlProblem(url, true);
          if (problem) throw new WardError('invalid_attribute', problem);
        }
        const res = await ctx.authenticated().call<Ok>(route, { params: { id }, body: { url } });
        ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, verb);
      }));
  }

  for (const [command, route] of [
    ['show-basic-secret', 'oauth2_basic_secret_get'],
    ['reset-basic-secret', 'oauth2_basic_secret_reset'],
  ] as const) {
    o.command(command)
      .description(command === 'show-basic-secret' ? 'print the client secret (client_secret_basic) of a confidential client' : 'replace the client secret; the old one stops working at once')
      .argument('<name>', 'the client name')
      .action(act(runtime, async (ctx, name: string) => {
        const s = await ctx.authenticated().call<OAuth2BasicSecret>(route, { params: { id: parseClient(name) } });
        ctx.out.message(s.client_secret, s);
      }));
  }

  for (const sup of [false, true]) {
    const prefix = sup ? 'sup-scope-map' : 'scope-map';
    o.command(`update-${prefix}`)
      .description(sup
        ? 'give members of a group extra scopes (they still need a scope map to use the client)'
        : 'let members of a group (nested included) use the client, with these scopes (e.g. openid profile email groups)')
      .argument('<name>', 'the client name')
      .argument('<group>', 'name, spn or uuid')
      .argument('<scopes...>', 'scopes')
      .action(act(runtime, async (ctx, name: string, group: string, scopes: string[]) => {
        const id = parseClient(name);
        const body = { scopes: parseScopes(scopes) };
        const res = await ctx.authenticated().call<Ok>(sup ? 'oauth2_sup_scope_map_set' : 'oauth2_scope_map_set', { params: { id, group: parseRef(group) }, body });
        ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, `${sup ? 'supplementary ' : ''}scope map of ${group} set`);
      }));
    o.command(`delete-${prefix}`)
      .description(sup ? 'remove a group\u2019s supplementary scopes' : 'remove a group\u2019s scope map: its members lose access unless another map covers them')
      .argument('<name>', 'the client name')
      .argument('<group>', 'name, spn or uuid')
      .action(act(runtime, async (ctx, name: string, group: string) => {
        const id = parseClient(name);
        const res = await ctx.authenticated().call<Ok>(sup ? 'oauth2_sup_scope_map_delete' : 'oauth2_scope_map_delete', { params: { id, group: parseRef(group) } });
        ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, `${sup ? 'supplementary ' : ''}scope map of ${group} removed`);
      }));
  }

  o.command('update-claim-map')
    .description('the values a claim takes for members of a group; a person gets the union over their groups. A value starting with "{" is a JSON object')
    .argument('<name>', 'the client name')
    .argument('<claim>', 'the claim name, e.g. grafana_role')
    .argument('<group>', 'name, spn or uuid')
    .argument('<values...>', 'one or more values')
    .action(act(runtime, async (ctx, name: string, claim: string, group: string, values: string[]) => {
      const id = parseClient(name);
      checked(claim, claimNameProblem(claim));
      for (const v of values) checked(v, claimValueProblem(v));
      const res = await ctx.authenticated().call<Ok>('oauth2_claim_map_set', { params: { id, claim, group: parseRef(group) }, body: { values } });
      ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, `claim ${claim} for ${group} set`);
    }));

  o.command('update-claim-map-join')
    .description('how a claim with several values is sent: csv ("a,b"), ssv ("a b") or array (["a","b"], the default)')
    .argument('<name>', 'the client name')
    .argument('<claim>', 'the claim name')
    .argument('<join>', OAUTH2_CLAIM_JOINS.join('|'))
    .action(act(runtime, async (ctx, name: string, claim: string, join: string) => {
      const id = parseClient(name);
      checked(claim, claimNameProblem(claim));
      const body = { join: oneOf<OAuth2ClaimJoin>(join, OAUTH2_CLAIM_JOINS, 'the join') };
      const res = await ctx.authenticated().call<Ok>('oauth2_claim_join_set', { params: { id, claim }, body });
      ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, `claim ${claim} joined as ${join}`);
    }));

  o.command('delete-claim-map')
    .description('remove a group\u2019s values of a claim')
    .argument('<name>', 'the client name')
    .argument('<claim>', 'the claim name')
    .argument('<group>', 'name, spn or uuid')
    .action(act(runtime, async (ctx, name: string, claim: string, group: string) => {
      const id = parseClient(name);
      checked(claim, claimNameProblem(claim));
      const res = await ctx.authenticated().call<Ok>('oauth2_claim_map_delete', { params: { id, claim, group: parseRef(group) } });
      ctx.out.change(res.changed ?? true, `oauth2 client ${id}`, `claim ${claim} for ${group} removed`);
    }));

  o.command('list-signing-keys')
    .description('the keys that sign ID tokens: alg, state, kid, created, until when a retired key is published')
    .action(act(runtime, async (ctx) => {
      ctx.out.list(await ctx.authenticated().call<OAuth2SigningKey[]>('oauth2_signing_keys_list'), keyRow);
    }));

  o.command('rotate-keys')
    .description('make new signing keys; tokens signed with the old ones stay verifiable until they expire')
    .action(act(runtime, async (ctx) => {
      const keys = await ctx.authenticated().call<OAuth2SigningKey[]>('oauth2_signing_keys_rotate');
      if (ctx.out.json) ctx.out.change(true, 'oauth2 signing keys', 'rotated', { keys });
      else {
        ctx.out.change(true, 'oauth2 signing keys', 'rotated');
        ctx.out.list(keys, keyRow);
      }
    }));
}
