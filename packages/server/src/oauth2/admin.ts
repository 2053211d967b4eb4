/**
 * Administration of OAuth2 / OpenID Connect clients, for the REST API (http/handlers/oauth2.ts)
 * and through it `ward system oauth2 ...`. Every operation checks its Actor first:
 *
 *   - anonymous: `unauthenticated`; a read-only token never writes (`read_only_token`);
 *   - only members (nested included) of `system_admins` or `idm_oauth2_admins` read or change
 *     clients and signing keys; anyone else gets `forbidden` whether the client exists or not.
 *
 * (directory/access.ts rule 3 lists idm_oauth2_admins.) Changes are idempotent like the rest of
 * the API: creating an identical client, adding a present URL or setting an unchanged map reports
 * `changed: false`; creating a different client under a used name is `duplicate_name`. Every input
 * is checked with the rules of @ward/proto (oauth2.ts) before anything is written. The client
 * secret is readable only here, by the same administrators (it is stored as is: the token
 * endpoint must compare it; see docs/oauth2.md).
 */
import { randomBytes } from 'node:crypto';
import {
  OAUTH2_SCOPES_MAX, WardError, claimNameProblem, claimValueProblem, isJsonObjectValue, isLoopbackHost, landingUrlProblem,
  redirectUrlProblem, scopeProblem,
  type CreateOAuth2ClientRequest, type OAuth2BasicSecret, type OAuth2ClaimJoin, type OAuth2Client, type OAuth2SigningKey,
  type UpdateOAuth2ClientRequest,
} from '@ward/proto';
import { checkDisplayname, checkName } from '../directory/validate.js';
import type { Actor, Directory } from '../directory/types.js';
import type { SigningKeys } from './keys.js';
import type { ClientChanges, ClientRecord, OAuth2Store } from './store.js';

export const CLIENT_ADMIN_GROUPS = ['system_admins', 'idm_oauth2_admins'] as const;

function invalid(message: string): WardError {
  return new WardError('invalid_attribute', message);
}

function check(problem: string | undefined): void {
  if (problem) throw invalid(problem);
}

export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class OAuth2Admin {
  constructor(
    private readonly store: OAuth2Store,
    private readonly directory: Directory,
    private readonly keys: SigningKeys,
    private readonly origin: string,
  ) {}

  private assertRights(actor: Actor, write: boolean): void {
    if (actor.kind === 'anonymous') throw new WardError('unauthenticated', 'sign in first');
    const groups = new Set(this.directory.groupsOf(actor.uuid));
    if (!CLIENT_ADMIN_GROUPS.some((g) => groups.has(g))) {
      throw new WardError('forbidden', 'only members of system_admins or idm_oauth2_admins manage OAuth2 clients');
    }
    if (write && !actor.readWrite) throw new WardError('read_only_token', 'this token is read-only; use a read-write token to make changes');
  }

  private clientFor(actor: Actor, name: string, write: boolean): ClientRecord {
    this.assertRights(actor, write);
    return this.store.requireClient(checkName(name));
  }

  private groupUuid(actor: Actor, ref: string): { uuid: string; name: string } {
    const g = this.directory.getGroup(actor, ref);
    return { uuid: g.uuid, name: g.name };
  }

  view(c: ClientRecord): OAuth2Client {
    const maps = this.store.maps(c.uuid);
    const claims = [...new Set(maps.claimMaps.map((m) => m.claim))];
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      uuid: c.uuid,
      name: c.name,
      displayname: c.displayname,
      landing_url: c.landingUrl,
      type: c.public ? 'public' : 'confidential',
      redirect_urls: c.redirectUrls,
      allow_localhost_redirects: c.allowLocalhost,
      id_token_alg: c.idTokenAlg,
      pkce_required: c.pkceRequired,
      scope_maps: maps.scopeMaps.filter((m) => !m.supplementary).map((m) => ({ group: m.groupName, scopes: m.scopes })),
      sup_scope_maps: maps.scopeMaps.filter((m) => m.supplementary).map((m) => ({ group: m.groupName, scopes: m.scopes })),
      claim_maps: claims.map((claim) => ({
        claim,
        join: maps.joins.get(claim) ?? 'array',
        groups: maps.claimMaps.filter((m) => m.claim === claim).map((m) => ({ group: m.groupName, values: m.values })),
      })),
      issuer: this.origin,
      discovery_url: `${this.origin}/.well-known/openid-configuration`,
      created_at: iso(c.createdAt),
      updated_at: iso(c.updatedAt),
    };
  }

  list(actor: Actor): OAuth2Client[] {
    this.assertRights(actor, false);
    return this.store.listClients().map((c) => this.view(c));
  }

  get(actor: Actor, name: string): OAuth2Client {
    return this.view(this.clientFor(actor, name, false));
  }

  create(actor: Actor, req: CreateOAuth2ClientRequest): { client: OAuth2Client; changed: boolean } {
    this.assertRights(actor, true);
    const name = checkName(req.name);
    const displayname = checkDisplayname(req.displayname);
    check(landingUrlProblem(req.landing_url));
    if (typeof req.public !== 'boolean') throw invalid('public must be true or false');
    return this.store.write(() => {
      const existing = this.store.client(name);
      if (existing) {
        if (existing.displayname === displayname && existing.landingUrl === req.landing_url && existing.public === req.public) {
          return { client: this.view(existing), changed: false };
        }
        throw new WardError('duplicate_name', `an OAuth2 client named "${name}" exists with other settings`);
      }
      this.store.insertClient({ name, displayname, landingUrl: req.landing_url, public: req.public, secret: req.public ? null : newClientSecret() });
      return { client: this.view(this.store.requireClient(name)), changed: true };
    });
  }

  update(actor: Actor, name: string, req: UpdateOAuth2ClientRequest): OAuth2Client {
    const c = this.clientFor(actor, name, true);
    const changes: ClientChanges = {};
    if (req.displayname !== undefined) changes.displayname = checkDisplayname(req.displayname);
    if (req.landing_url !== undefined) {
      check(landingUrlProblem(req.landing_url));
      changes.landingUrl = req.landing_url;
    }
    if (req.allow_localhost_redirects !== undefined) {
      if (req.allow_localhost_redirects && !c.public) {
        throw new WardError('conflict', 'localhost redirects are for public clients only; a confidential client keeps its secret on a server');
      }
      if (!req.allow_localhost_redirects && c.redirectUrls.some((u) => isLoopbackHost(new URL(u).hostname))) {
        throw new WardError('conflict', 'remove the localhost redirect URLs first');
      }
      changes.allowLocalhost = req.allow_localhost_redirects;
    }
    if (req.id_token_alg !== undefined) {
      if (req.id_token_alg !== 'ES256' && req.id_token_alg !== 'RS256') throw invalid('id_token_alg must be ES256 or RS256');
      changes.idTokenAlg = req.id_token_alg;
    }
    if (req.pkce_required !== undefined) {
      if (!req.pkce_required && c.public) throw new WardError('conflict', 'a public client always needs PKCE: it has no secret to prove who it is');
      changes.pkceRequired = req.pkce_required;
    }
    if (Object.keys(changes).length === 0) throw new WardError('bad_request', 'give at least one setting to change');
    this.store.write(() => this.store.updateClient(c.uuid, changes));
    return this.view(this.store.requireClient(c.name));
  }

  delete(actor: Actor, name: string): void {
    const c = this.clientFor(actor, name, true);
    this.store.write(() => this.store.deleteClient(c));
    this.store.configChanged();
  }

  addRedirectUrl(actor: Actor, name: string, url: string): boolean {
    const c = this.clientFor(actor, name, true);
    check(redirectUrlProblem(url, c.public && c.allowLocalhost));
    return this.store.write(() => this.store.addRedirectUrl(c.uuid, url));
  }

  removeRedirectUrl(actor: Actor, name: string, url: string): boolean {
    const c = this.clientFor(actor, name, true);
    return this.store.write(() => this.store.removeRedirectUrl(c.uuid, url));
  }

  basicSecret(actor: Actor, name: string): OAuth2BasicSecret {
    const c = this.clientFor(actor, name, false);
    if (c.secret === null) throw new WardError('conflict', `"${c.name}" is a public client: it has no secret (it proves itself with PKCE)`);
    return { client_id: c.name, client_secret: c.secret };
  }

  resetBasicSecret(actor: Actor, name: string): OAuth2BasicSecret {
    const c = this.clientFor(actor, name, true);
    if (c.public) throw new WardError('conflict', `"${c.name}" is a public client: it has no secret (it proves itself with PKCE)`);
    const secret = newClientSecret();
    this.store.write(() => this.store.setSecret(c.uuid, secret));
    return { client_id: c.name, client_secret: secret };
  }

  setScopeMap(actor: Actor, name: string, groupRef: string, supplementary: boolean, scopes: string[]): boolean {
    const c = this.clientFor(actor, name, true);
    if (!Array.isArray(scopes) || scopes.length === 0) throw invalid('give at least one scope');
    if (scopes.length > OAUTH2_SCOPES_MAX) throw invalid(`at most ${OAUTH2_SCOPES_MAX} scopes per map`);
    for (const s of scopes) check(scopeProblem(s));
    const group = this.groupUuid(actor, groupRef);
    const changed = this.store.write(() => this.store.setScopeMap(c.uuid, group.uuid, supplementary, [...new Set(scopes)]));
    if (changed) this.store.configChanged();
    return changed;
  }

  deleteScopeMap(actor: Actor, name: string, groupRef: string, supplementary: boolean): boolean {
    const c = this.clientFor(actor, name, true);
    const group = this.groupUuid(actor, groupRef);
    const changed = this.store.write(() => this.store.deleteScopeMap(c.uuid, group.uuid, supplementary));
    if (changed) this.store.configChanged();
    return changed;
  }

  setClaimMap(actor: Actor, name: string, claim: string, groupRef: string, values: string[]): boolean {
    const c = this.clientFor(actor, name, true);
    check(claimNameProblem(claim));
    if (!Array.isArray(values) || values.length === 0) throw invalid('give at least one value');
    for (const v of values) check(claimValueProblem(v));
    const unique = [...new Set(values)];
    const group = this.groupUuid(actor, groupRef);
    const changed = this.store.write(() => {
      const maps = this.store.maps(c.uuid);
      const others = maps.claimMaps.filter((m) => m.claim === claim && m.groupUuid !== group.uuid).flatMap((m) => m.values);
      assertClaimShape(claim, [...others, ...unique], maps.joins.get(claim) ?? 'array');
      return this.store.setClaimMap(c.uuid, claim, group.uuid, unique);
    });
    if (changed) this.store.configChanged();
    return changed;
  }

  deleteClaimMap(actor: Actor, name: string, claim: string, groupRef: string): boolean {
    const c = this.clientFor(actor, name, true);
    check(claimNameProblem(claim));
    const group = this.groupUuid(actor, groupRef);
    const changed = this.store.write(() => this.store.deleteClaimMap(c.uuid, claim, group.uuid));
    if (changed) this.store.configChanged();
    return changed;
  }

  setClaimJoin(actor: Actor, name: string, claim: string, join: OAuth2ClaimJoin): boolean {
    const c = this.clientFor(actor, name, true);
    check(claimNameProblem(claim));
    if (join !== 'csv' && join !== 'ssv' && join !== 'array') throw invalid('the join must be csv, ssv or array');
    return this.store.write(() => {
      const values = this.store.maps(c.uuid).claimMaps.filter((m) => m.claim === claim).flatMap((m) => m.values);
      assertClaimShape(claim, values, join);
      return this.store.setClaimJoin(c.uuid, claim, join);
    });
  }

  signingKeys(actor: Actor): OAuth2SigningKey[] {
    this.assertRights(actor, false);
    return this.keys.list();
  }

  async rotateSigningKeys(actor: Actor): Promise<OAuth2SigningKey[]> {
    this.assertRights(actor, true);
    await this.keys.rotate();
    return this.keys.list();
  }
}

/**
 * A claim's values must make one well-formed claim: all text or all JSON objects (an application
 * expects one type), and no text value may contain the separator of a csv or ssv join.
 */
export function assertClaimShape(claim: string, values: string[], join: OAuth2ClaimJoin): void {
  const objects = values.filter(isJsonObjectValue).length;
  if (objects > 0 && objects < values.length) {
    throw invalid(`the claim "${claim}" would mix text values and JSON objects; use one kind per claim`);
  }
  if (objects > 0 && join !== 'array') throw invalid(`the claim "${claim}" holds JSON objects, which cannot be joined as ${join}`);
  const sep = join === 'csv' ? ',' : join === 'ssv' ? ' ' : undefined;
  const bad = sep === undefined ? undefined : values.find((v) => (sep === ' ' ? /\s/.test(v) : v.includes(sep)));
  if (bad !== undefined) throw invalid(`the value ${JSON.stringify(bad.slice(0, 80))} contains the ${join} separator; it would read as several values`);
}
