/**
 * The OAuth2 clients in the SQLite store (schema version 3, store/migrations.ts): the clients and
 * their redirect URLs, scope maps, claim maps and joins, and the consents people gave. Plain data
 * access with prepared statements: the rules (who may change what, which values are valid) live
 * in admin.ts, the meaning of the maps in entitlements.ts.
 *
 * `generation` counts the changes that alter the protocol configuration (the set of scopes and
 * claim names the provider knows; provider.ts rebuilds the provider when it moves). Writes by
 * another process on the same file (a restore) are noticed through `PRAGMA data_version`.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { WardError, isObjectPropertyName, type OAuth2ClaimJoin, type OAuth2IdTokenAlg } from '@ward/proto';

export interface ClientRecord {
  uuid: string;
  /** The client_id. */
  name: string;
  displayname: string;
  landingUrl: string;
  public: boolean;
  /** The client secret of a confidential client (null for a public one). */
  secret: string | null;
  allowLocalhost: boolean;
  idTokenAlg: OAuth2IdTokenAlg;
  pkceRequired: boolean;
  redirectUrls: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ScopeMapRecord {
  groupUuid: string;
  groupName: string;
  supplementary: boolean;
  scopes: string[];
}

export interface ClaimMapRecord {
  claim: string;
  groupUuid: string;
  groupName: string;
  values: string[];
}

export interface ClientMaps {
  scopeMaps: ScopeMapRecord[];
  claimMaps: ClaimMapRecord[];
  joins: Map<string, OAuth2ClaimJoin>;
}

interface ClientRow {
  uuid: string;
  name: string;
  displayname: string;
  landing_url: string;
  public: 0 | 1;
  secret: string | null;
  allow_localhost: 0 | 1;
  id_token_alg: OAuth2IdTokenAlg;
  pkce_required: 0 | 1;
  created_at: number;
  updated_at: number;
}

export type ClientChanges = Partial<Pick<ClientRecord, 'displayname' | 'landingUrl' | 'allowLocalhost' | 'idTokenAlg' | 'pkceRequired'>>;

const COLUMN: Record<keyof ClientChanges, string> = {
  displayname: 'displayname',
  landingUrl: 'landing_url',
  allowLocalhost: 'allow_localhost',
  idTokenAlg: 'id_token_alg',
  pkceRequired: 'pkce_required',
};

export class OAuth2Store {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly dataVersion: Database.Statement;
  private lastDataVersion: number;
  private gen = 0;

  constructor(readonly db: Database.Database) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.lastDataVersion = this.dataVersion.get() as number;
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** All of `fn` or none of it, in an IMMEDIATE transaction. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Say that the protocol configuration changed (scope or claim maps, signing keys). */
  configChanged(): void {
    this.gen += 1;
  }

  /** Moves with every change made here and every commit by another process. */
  get generation(): number {
    const v = this.dataVersion.get() as number;
    if (v !== this.lastDataVersion) {
      this.lastDataVersion = v;
      this.gen += 1;
    }
    return this.gen;
  }

  // ---- clients ------------------------------------------------------------------------------

  private record(row: ClientRow): ClientRecord {
    const urls = this.stmt('SELECT url FROM oauth2_redirect_urls WHERE client_uuid = ? ORDER BY url').pluck().all(row.uuid) as string[];
    return {
      uuid: row.uuid,
      name: row.name,
      displayname: row.displayname,
      landingUrl: row.landing_url,
      public: row.public === 1,
      secret: row.secret,
      allowLocalhost: row.allow_localhost === 1,
      idTokenAlg: row.id_token_alg,
      pkceRequired: row.pkce_required === 1,
      redirectUrls: urls,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  client(name: string): ClientRecord | undefined {
    if (typeof name !== 'string') return undefined;
    const row = this.stmt('SELECT * FROM oauth2_clients WHERE name = ?').get(name) as ClientRow | undefined;
    return row && this.record(row);
  }

  /** The client or not_found. */
  requireClient(name: string): ClientRecord {
    const c = this.client(name);
    if (!c) throw new WardError('not_found', `no OAuth2 client "${String(name).slice(0, 64)}"`);
    return c;
  }

  listClients(): ClientRecord[] {
    const rows = this.stmt('SELECT * FROM oauth2_clients ORDER BY name').all() as ClientRow[];
    return rows.map((r) => this.record(r));
  }

  insertClient(c: { name: string; displayname: string; landingUrl: string; public: boolean; secret: string | null }): void {
    const now = Date.now();
    this.stmt(
      'INSERT INTO oauth2_clients (uuid, name, displayname, landing_url, public, secret, pkce_required, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)',
    ).run(randomUUID(), c.name, c.displayname, c.landingUrl, c.public ? 1 : 0, c.secret, now, now);
  }

  updateClient(uuid: string, changes: ClientChanges): void {
    for (const [key, value] of Object.entries(changes) as Array<[keyof ClientChanges, unknown]>) {
      const sqlValue = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      this.stmt(`UPDATE oauth2_clients SET ${COLUMN[key]} = ? WHERE uuid = ?`).run(sqlValue, uuid);
    }
    this.touch(uuid);
  }

  setSecret(uuid: string, secret: string): void {
    this.stmt('UPDATE oauth2_clients SET secret = ? WHERE uuid = ? AND public = 0').run(secret, uuid);
    this.touch(uuid);
  }

  private touch(uuid: string): void {
    this.stmt('UPDATE oauth2_clients SET updated_at = ? WHERE uuid = ?').run(Date.now(), uuid);
  }

  /** Deletes the client, its maps and consents (cascade) and every grant, token and code it holds. */
  deleteClient(c: ClientRecord): void {
    this.stmt("DELETE FROM oauth2_state WHERE model <> 'Session' AND json_extract(payload, '$.clientId') = ?").run(c.name);
    this.stmt('DELETE FROM oauth2_clients WHERE uuid = ?').run(c.uuid);
  }

  addRedirectUrl(uuid: string, url: string): boolean {
    const changed = this.stmt('INSERT OR IGNORE INTO oauth2_redirect_urls (client_uuid, url) VALUES (?, ?)').run(uuid, url).changes > 0;
    if (changed) this.touch(uuid);
    return changed;
  }

  removeRedirectUrl(uuid: string, url: string): boolean {
    const changed = this.stmt('DELETE FROM oauth2_redirect_urls WHERE client_uuid = ? AND url = ?').run(uuid, url).changes > 0;
    if (changed) this.touch(uuid);
    return changed;
  }

  // ---- scope and claim maps ------------------------------------------------------------------

  maps(clientUuid: string): ClientMaps {
    const scopeRows = this.stmt(
      'SELECT m.group_uuid, e.name, m.supplementary, m.scopes FROM oauth2_scope_maps m JOIN entries e ON e.uuid = m.group_uuid WHERE m.client_uuid = ? ORDER BY e.name',
    ).raw().all(clientUuid) as Array<[string, string, 0 | 1, string]>;
    const claimRows = this.stmt(
      'SELECT m.claim, m.group_uuid, e.name, m.claim_values FROM oauth2_claim_maps m JOIN entries e ON e.uuid = m.group_uuid WHERE m.client_uuid = ? ORDER BY m.claim, e.name',
    ).raw().all(clientUuid) as Array<[string, string, string, string]>;
    const joinRows = this.stmt('SELECT claim, join_kind FROM oauth2_claim_joins WHERE client_uuid = ?').raw().all(clientUuid) as Array<
      [string, OAuth2ClaimJoin]
    >;
    return {
      scopeMaps: scopeRows.map(([groupUuid, groupName, sup, scopes]) => ({
        groupUuid,
        groupName,
        supplementary: sup === 1,
        scopes: JSON.parse(scopes) as string[],
      })),
      claimMaps: claimRows.filter(([claim]) => !isObjectPropertyName(claim)).map(([claim, groupUuid, groupName, values]) => ({ claim, groupUuid, groupName, values: JSON.parse(values) as string[] })),
      joins: new Map(joinRows),
    };
  }

  /** Sets (or replaces) a scope map; false when it held exactly these scopes already. */
  setScopeMap(clientUuid: string, groupUuid: string, supplementary: boolean, scopes: string[]): boolean {
    const json = JSON.stringify(scopes);
    const before = this.stmt('SELECT scopes FROM oauth2_scope_maps WHERE client_uuid = ? AND supplementary = ? AND group_uuid = ?')
      .pluck()
      .get(clientUuid, supplementary ? 1 : 0, groupUuid) as string | undefined;
    if (before === json) return false;
    this.stmt(
      'INSERT INTO oauth2_scope_maps (client_uuid, supplementary, group_uuid, scopes) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (client_uuid, supplementary, group_uuid) DO UPDATE SET scopes = excluded.scopes',
    ).run(clientUuid, supplementary ? 1 : 0, groupUuid, json);
    this.touch(clientUuid);
    return true;
  }

  deleteScopeMap(clientUuid: string, groupUuid: string, supplementary: boolean): boolean {
    const changed =
      this.stmt('DELETE FROM oauth2_scope_maps WHERE client_uuid = ? AND supplementary = ? AND group_uuid = ?').run(
        clientUuid,
        supplementary ? 1 : 0,
        groupUuid,
      ).changes > 0;
    if (changed) this.touch(clientUuid);
    return changed;
  }

  setClaimMap(clientUuid: string, claim: string, groupUuid: string, values: string[]): boolean {
    const json = JSON.stringify(values);
    const before = this.stmt('SELECT claim_values FROM oauth2_claim_maps WHERE client_uuid = ? AND claim = ? AND group_uuid = ?')
      .pluck()
      .get(clientUuid, claim, groupUuid) as string | undefined;
    if (before === json) return false;
    this.stmt(
      'INSERT INTO oauth2_claim_maps (client_uuid, claim, group_uuid, claim_values) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (client_uuid, claim, group_uuid) DO UPDATE SET claim_values = excluded.claim_values',
    ).run(clientUuid, claim, groupUuid, json);
    this.touch(clientUuid);
    return true;
  }

  deleteClaimMap(clientUuid: string, claim: string, groupUuid: string): boolean {
    const changed = this.stmt('DELETE FROM oauth2_claim_maps WHERE client_uuid = ? AND claim = ? AND group_uuid = ?').run(clientUuid, claim, groupUuid).changes > 0;
    if (changed) {
      // A join setting outlives its last map only as clutter: drop it with the claim.
      const left = this.stmt('SELECT 1 FROM oauth2_claim_maps WHERE client_uuid = ? AND claim = ?').get(clientUuid, claim);
      if (!left) this.stmt('DELETE FROM oauth2_claim_joins WHERE client_uuid = ? AND claim = ?').run(clientUuid, claim);
      this.touch(clientUuid);
    }
    return changed;
  }

  setClaimJoin(clientUuid: string, claim: string, join: OAuth2ClaimJoin): boolean {
    const before = this.stmt('SELECT join_kind FROM oauth2_claim_joins WHERE client_uuid = ? AND claim = ?').pluck().get(clientUuid, claim) as
      | string
      | undefined;
    if (before === join) return false;
    this.stmt(
      'INSERT INTO oauth2_claim_joins (client_uuid, claim, join_kind) VALUES (?, ?, ?) ON CONFLICT (client_uuid, claim) DO UPDATE SET join_kind = excluded.join_kind',
    ).run(clientUuid, claim, join);
    this.touch(clientUuid);
    return true;
  }

  /** Every scope in any map and every mapped claim name: what the provider must know of. */
  vocabulary(): { scopes: string[]; claims: string[] } {
    const scopes = new Set<string>();
    for (const json of this.stmt('SELECT DISTINCT scopes FROM oauth2_scope_maps').pluck().all() as string[]) {
      for (const s of JSON.parse(json) as string[]) scopes.add(s);
    }
    // A claim map an older Ward accepted under an object property name is left out (see isObjectPropertyName).
    const claims = (this.stmt('SELECT DISTINCT claim FROM oauth2_claim_maps ORDER BY claim').pluck().all() as string[]).filter((c) => !isObjectPropertyName(c));
    return { scopes: [...scopes].sort(), claims };
  }

  // ---- consents ------------------------------------------------------------------------------

  consent(accountUuid: string, clientUuid: string): Set<string> | undefined {
    const json = this.stmt('SELECT scopes FROM oauth2_consents WHERE account_uuid = ? AND client_uuid = ?').pluck().get(accountUuid, clientUuid) as
      | string
      | undefined;
    return json === undefined ? undefined : new Set(JSON.parse(json) as string[]);
  }

  /** Records that the person agreed to these scopes (added to what they agreed to before). */
  addConsent(accountUuid: string, clientUuid: string, scopes: Iterable<string>): void {
    const all = new Set([...(this.consent(accountUuid, clientUuid) ?? []), ...scopes]);
    this.stmt(
      'INSERT INTO oauth2_consents (account_uuid, client_uuid, scopes, updated_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (account_uuid, client_uuid) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at',
    ).run(accountUuid, clientUuid, JSON.stringify([...all].sort()), Date.now());
  }

  // ---- sign-in methods -----------------------------------------------------------------------

  /** How a login session was signed in (RFC 8176 amr values), recorded at sign-in. */
  recordSessionMethods(sessionId: string, amr: string[]): void {
    this.stmt('INSERT OR REPLACE INTO session_methods (session_id, amr) VALUES (?, ?)').run(sessionId, JSON.stringify(amr));
  }

  sessionMethods(sessionId: string): string[] | undefined {
    const json = this.stmt('SELECT amr FROM session_methods WHERE session_id = ?').pluck().get(sessionId) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as string[]);
  }
}
