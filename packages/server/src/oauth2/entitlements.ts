/**
 * Who gets what: a person's access to an application and the claims it receives, computed from
 * the person's groups (nested membership included, as the directory reports it) and the client's
 * maps, fresh on every call, so a membership change applies to the next request.
 *
 *   access       the person is in at least one group with a scope map of the client;
 *   scopes       the union of the scopes of every scope map and supplementary scope map of the
 *                person's groups, plus `openid` (supplementary maps alone give no access);
 *   claims       the standard ones from the directory (standardClaims) and, per mapped claim,
 *                the union of the values of the person's groups in group-name order: text values
 *                joined as the client says (csv, ssv or a JSON array, the default), JSON object
 *                values merged key by key (a later group's key wins).
 *
 * Only persons that may sign in (not locked, not expired) have entitlements: service accounts do
 * not sign in to applications.
 */
import { claimObjectOf, type OAuth2ClaimJoin } from '@ward/proto';
import type { Actor, Directory } from '../directory/types.js';
import type { AppLink } from '../ui/apps.js';
import type { ClaimMapRecord, ClientMaps, ClientRecord, OAuth2Store } from './store.js';

export interface Person {
  uuid: string;
  name: string;
  displayname: string;
  mail: string[];
  /** Whether the person is the one holder of their first address (an older database may hold one on two accounts). */
  mailVerified: boolean;
  /** Names of every group, nested ones included. */
  groups: string[];
}

export interface Entitlement {
  person: Person;
  client: ClientRecord;
  /** In at least one scope-mapped group. */
  access: boolean;
  scopes: ReadonlySet<string>;
  /** The mapped claims and their values for this person. */
  claims: Record<string, unknown>;
}

/** The standard claims of a person (OpenID Connect Core §5.1), released by scope in provider.ts. */
export function standardClaims(p: Person): Record<string, unknown> {
  const mail = p.mail[0];
  return {
    sub: p.uuid,
    name: p.displayname,
    preferred_username: p.name,
    ...(mail ? { email: mail, email_verified: p.mailVerified } : {}),
    groups: p.groups,
  };
}

/** One claim's value from the maps of the groups the person is in (maps sorted by group name). */
export function claimValue(maps: ClaimMapRecord[], join: OAuth2ClaimJoin): unknown {
  const texts: string[] = [];
  let object: Record<string, unknown> | undefined;
  for (const map of maps) {
    for (const value of map.values) {
      const parsed = claimObjectOf(value);
      if (parsed) object = { ...(object ?? {}), ...parsed };
      else if (!texts.includes(value)) texts.push(value);
    }
  }
  if (object) return object;
  if (join === 'csv') return texts.join(',');
  if (join === 'ssv') return texts.join(' ');
  return texts;
}

export function mappedClaims(maps: ClientMaps, groups: ReadonlySet<string>): Record<string, unknown> {
  const byClaim = new Map<string, ClaimMapRecord[]>();
  for (const m of maps.claimMaps) {
    if (!groups.has(m.groupName)) continue;
    const list = byClaim.get(m.claim) ?? [];
    list.push(m);
    byClaim.set(m.claim, list);
  }
  const claims: Record<string, unknown> = {};
  for (const [claim, list] of byClaim) claims[claim] = claimValue(list, maps.joins.get(claim) ?? 'array');
  return claims;
}

export class Entitlements {
  constructor(
    private readonly directory: Directory,
    private readonly store: OAuth2Store,
  ) {}

  /** The person behind an account id, if it is a person who may sign in now. */
  person(uuid: string): Person | undefined {
    const actor = typeof uuid === 'string' ? this.directory.actorFor(uuid, false) : null;
    if (!actor || actor.kind !== 'person') return undefined;
    const a = this.directory.getAccount(actor, 'person', actor.uuid);
    const mailVerified = a.mail[0] !== undefined && this.directory.ownsMail(a.uuid, a.mail[0]);
    return { uuid: a.uuid, name: a.name, displayname: a.displayname, mail: a.mail, mailVerified, groups: a.memberof };
  }

  private compute(person: Person, client: ClientRecord): Entitlement {
    const groups = new Set(person.groups);
    const maps = this.store.maps(client.uuid);
    const mine = maps.scopeMaps.filter((m) => groups.has(m.groupName));
    const access = mine.some((m) => !m.supplementary);
    const scopes = new Set<string>();
    if (access) {
      scopes.add('openid');
      for (const m of mine) for (const s of m.scopes) scopes.add(s);
    }
    return { person, client, access, scopes, claims: access ? mappedClaims(maps, groups) : {} };
  }

  /** What the account gets from the client; undefined when either is gone or it is no person who may sign in. */
  of(accountUuid: string, clientName: string): Entitlement | undefined {
    const client = this.store.client(clientName);
    const person = client && this.person(accountUuid);
    return person && client ? this.compute(person, client) : undefined;
  }

  /** The applications the signed-in account may use, for the apps page. */
  appsFor(actor: Actor): AppLink[] {
    const person = this.person(actor.uuid);
    if (!person) return [];
    return this.store
      .listClients()
      .filter((c) => this.compute(person, c).access)
      .map((c) => ({ id: c.name, displayName: c.displayname, url: c.landingUrl }));
  }
}
