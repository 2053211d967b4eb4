/**
 * oidc-provider's storage adapter on the SQLite store: every model (Session, Grant, Interaction,
 * AuthorizationCode, AccessToken, RefreshToken, ClientCredentials, ...) lives in one table,
 * `oauth2_state`, keyed by (model, id), with the payload as JSON (the library adds fields in minor
 * releases, so it is stored whole) and the columns the lookups need: grant_id (revokeByGrantId),
 * uid (Session.findByUid), user_code, the expiry and the consumption time. So sign-ins, consents,
 * codes and tokens survive a restart of wardd.
 *
 * Rules (ecosystem.md §1.3): `find` never returns an expired row; `consume` marks a row and later
 * finds return `consumed`; a sweep deletes expired rows. Clients are not stored here: the `Client`
 * model reads the registered clients (clients.ts) so that an administrator's change applies to
 * the next request. better-sqlite3 is synchronous; each call is a few microseconds.
 */
import type Database from 'better-sqlite3';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** The client metadata of a registered client, or undefined: the `Client` model's source. */
export type ClientSource = (clientId: string) => AdapterPayload | undefined;

interface Row {
  payload: string;
  consumed_at: number | null;
}

export class SqliteAdapter implements Adapter {
  private readonly findStmt: Database.Statement;
  private readonly byUid: Database.Statement;
  private readonly byUserCode: Database.Statement;
  private readonly upsertStmt: Database.Statement;
  private readonly consumeStmt: Database.Statement;
  private readonly destroyStmt: Database.Statement;
  private readonly revokeStmt: Database.Statement;

  constructor(
    private readonly model: string,
    db: Database.Database,
    private readonly clients: ClientSource,
  ) {
    const live = '(expires_at IS NULL OR expires_at > ?)';
    this.findStmt = db.prepare(`SELECT payload, consumed_at FROM oauth2_state WHERE model = ? AND id = ? AND ${live}`);
    this.byUid = db.prepare(`SELECT payload, consumed_at FROM oauth2_state WHERE model = ? AND uid = ? AND ${live}`);
    this.byUserCode = db.prepare(`SELECT payload, consumed_at FROM oauth2_state WHERE model = ? AND user_code = ? AND ${live}`);
    this.upsertStmt = db.prepare(
      'INSERT INTO oauth2_state (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ' +
        'ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, ' +
        'uid = excluded.uid, expires_at = excluded.expires_at, consumed_at = NULL',
    );
    this.consumeStmt = db.prepare('UPDATE oauth2_state SET consumed_at = ? WHERE model = ? AND id = ?');
    this.destroyStmt = db.prepare('DELETE FROM oauth2_state WHERE model = ? AND id = ?');
    this.revokeStmt = db.prepare('DELETE FROM oauth2_state WHERE grant_id = ?');
  }

  private static payloadOf(row: Row | undefined): AdapterPayload | undefined {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null;
    this.upsertStmt.run(
      this.model,
      id,
      JSON.stringify(payload),
      typeof payload.grantId === 'string' ? payload.grantId : null,
      typeof payload.userCode === 'string' ? payload.userCode : null,
      typeof payload.uid === 'string' ? payload.uid : null,
      expiresAt,
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.clients(id);
    return SqliteAdapter.payloadOf(this.findStmt.get(this.model, id, Date.now()) as Row | undefined);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return SqliteAdapter.payloadOf(this.byUid.get(this.model, uid, Date.now()) as Row | undefined);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return SqliteAdapter.payloadOf(this.byUserCode.get(this.model, userCode, Date.now()) as Row | undefined);
  }

  async consume(id: string): Promise<void> {
    // Seconds since the epoch, as oidc-provider's own adapter records it.
    this.consumeStmt.run(Math.floor(Date.now() / 1000), this.model, id);
  }

  async destroy(id: string): Promise<void> {
    this.destroyStmt.run(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.revokeStmt.run(grantId);
  }
}

/** Deletes every expired row; returns how many went. */
export function sweepExpired(db: Database.Database, now = Date.now()): number {
  return db.prepare('DELETE FROM oauth2_state WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes;
}
