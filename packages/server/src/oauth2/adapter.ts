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
 *
 * Codes and tokens are stored as hashes: oidc-provider's opaque codes and tokens (and session and
 * grant ids) are the ids it hands this adapter, so each row is keyed by the SHA-256 of the id,
 * and the one payload field that repeats the id (`jti`) is dropped from the stored JSON and put
 * back from the id asked for (except in a Session, see upsert). A copy of the database therefore
 * yields no code, access token or refresh token that works. Rows an older Ward stored under the plain id are
 * still found (by their id) until they expire; nothing new is written that way.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** The client metadata of a registered client, or undefined: the `Client` model's source. */
export type ClientSource = (clientId: string) => AdapterPayload | undefined;

interface Row {
  payload: string;
  consumed_at: number | null;
}

/** Marks a stored payload whose `jti` (equal to its id) was dropped. */
const JTI_DROPPED = '_ward_jti';

/** The stored key of an id: its SHA-256, so the table never holds a working code or token. */
function keyOf(id: string): string {
  return `sha256:${createHash('sha256').update(id).digest('base64url')}`;
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

  private static payloadOf(row: Row | undefined, id?: string): AdapterPayload | undefined {
    if (!row) return undefined;
    const stored = JSON.parse(row.payload) as AdapterPayload & { [JTI_DROPPED]?: true };
    const { [JTI_DROPPED]: dropped, ...payload } = stored;
    if (dropped && id !== undefined) payload.jti = id;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  }

  /** The row of `id`: under its hash, else under the plain id of an older Ward. */
  private row(id: string): Row | undefined {
    const now = Date.now();
    return (this.findStmt.get(this.model, keyOf(id), now) ?? this.findStmt.get(this.model, id, now)) as Row | undefined;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null;
    const { jti, ...rest } = payload;
    // A Session keeps its jti: oidc-provider also finds sessions by uid, without the id to put
    // it back from. Its row is still keyed by the hash, and a session cookie alone opens nothing
    // (every authorization re-checks the Ward sign-in, policy.ts).
    const stored = jti === id && this.model !== 'Session' ? { ...rest, [JTI_DROPPED]: true } : payload;
    this.upsertStmt.run(
      this.model,
      keyOf(id),
      JSON.stringify(stored),
      typeof payload.grantId === 'string' ? payload.grantId : null,
      typeof payload.userCode === 'string' ? payload.userCode : null,
      typeof payload.uid === 'string' ? payload.uid : null,
      expiresAt,
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.clients(id);
    return SqliteAdapter.payloadOf(this.row(id), id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return SqliteAdapter.payloadOf(this.byUid.get(this.model, uid, Date.now()) as Row | undefined);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return SqliteAdapter.payloadOf(this.byUserCode.get(this.model, userCode, Date.now()) as Row | undefined);
  }

  async consume(id: string): Promise<void> {
    // Seconds since the epoch, as oidc-provider's own adapter records it.
    for (const key of [keyOf(id), id]) this.consumeStmt.run(Math.floor(Date.now() / 1000), this.model, key);
  }

  async destroy(id: string): Promise<void> {
    for (const key of [keyOf(id), id]) this.destroyStmt.run(this.model, key);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.revokeStmt.run(grantId);
  }
}

/** Deletes every expired row; returns how many went. */
export function sweepExpired(db: Database.Database, now = Date.now()): number {
  return db.prepare('DELETE FROM oauth2_state WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes;
}
