/**
 * The schema of the IdP store, as an ordered list of migrations. A database records every applied
 * version in `schema_migrations`; opening applies the missing ones in order, each in its own
 * transaction, and refuses a database written by a newer Ward (its schema could hold data this code
 * would misread or drop). Never edit a released migration: append a new one.
 *
 * Layout (version 1):
 *   entries            persons, service accounts and groups in ONE table, so names share one
 *                      namespace (UNIQUE name) and POSIX numbers share one space (UNIQUE posix_id:
 *                      an account's uid is also the gid of its implicit primary group).
 *   memberships        direct group -> member edges; nesting and memberof are computed in memory.
 *   credentials        password hashes (primary and unix), apart so listings never read them.
 *   ssh_keys           parsed public keys; one tag and one key (fingerprint) per account at most once.
 *   posix_id_history   every number ever assigned, so the allocator never hands out a number again.
 *   sessions, api_tokens  the records behind tokens (the HTTP layer signs the tokens themselves).
 *   settings           small key/value pairs (token signing key, allocator counter).
 *
 * Version 2 (sign-in beyond passwords, docs/credentials.md):
 *   totp_credentials   RFC 6238 secrets per person and label, with the last time step accepted
 *                      (a code is accepted only once).
 *   webauthn_user_handles  one stable random WebAuthn user handle per person.
 *   passkeys           WebAuthn credentials: id, COSE public key, counter, metadata, a name.
 *   backup_codes       SHA-256 hashes of single-use backup codes.
 *   reset_tokens       SHA-256 hashes of one-time credential reset tokens.
 *   account_policies   per-group credential policy; the strictest of a person's groups applies.
 *
 * Version 3 (single sign-on, docs/oauth2.md):
 *   oauth2_clients        registered applications: client_id (name), kind, secret, settings.
 *   oauth2_redirect_urls  the exact redirect URLs of each client.
 *   oauth2_scope_maps     group -> scopes per client (supplementary = 0: grants access; 1: extra scopes).
 *   oauth2_claim_maps     client, claim, group -> values; oauth2_claim_joins: how the values are joined.
 *   oauth2_consents       the scopes a person agreed to give a client (asked again when more are asked).
 *   oauth2_signing_keys   ID token signing keys (private JWKs): active ones sign, retired ones still verify.
 *   oauth2_state          oidc-provider's models (sessions, grants, codes, tokens, interactions) as JSON.
 *   session_methods       how each login session was signed in (RFC 8176 amr), for the ID token.
 *
 * Version 4 (incremental host sync, issue 9): the unix change log, its fact triggers and log id
 * (unix-change-log.ts, where the schema and its reasons are written down).
 */
import type Database from 'better-sqlite3';
import { WardError } from '@ward/proto';
import { UNIX_CHANGE_LOG_MIGRATION } from './unix-change-log.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** `PRAGMA application_id` of a Ward store ("WARD"), so a backup can be told from any SQLite file. */
export const APPLICATION_ID = 0x57415244;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'entries, memberships, credentials, ssh keys, POSIX history, sessions, API tokens, settings',
    sql: `
      CREATE TABLE entries (
        uuid        TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('person', 'service_account', 'group')),
        name        TEXT NOT NULL UNIQUE,
        displayname TEXT NOT NULL DEFAULT '',
        description TEXT,
        mail        TEXT NOT NULL DEFAULT '[]',
        builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
        locked      INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
        expire_at   INTEGER,
        posix_id    INTEGER UNIQUE,
        shell       TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      CREATE INDEX entries_kind ON entries (kind, name);

      CREATE TABLE memberships (
        group_uuid  TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        member_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        PRIMARY KEY (group_uuid, member_uuid)
      ) WITHOUT ROWID;
      CREATE INDEX memberships_member ON memberships (member_uuid);
      -- Only groups have members: a last line of defence below the directory's own checks.
      CREATE TRIGGER memberships_group_only BEFORE INSERT ON memberships
        WHEN (SELECT kind FROM entries WHERE uuid = NEW.group_uuid) IS NOT 'group'
        BEGIN SELECT RAISE(ABORT, 'only groups have members'); END;

      CREATE TABLE credentials (
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        type         TEXT NOT NULL CHECK (type IN ('primary', 'unix')),
        hash         TEXT NOT NULL,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (account_uuid, type)
      ) WITHOUT ROWID;

      CREATE TABLE ssh_keys (
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        tag          TEXT NOT NULL,
        type         TEXT NOT NULL,
        blob         BLOB NOT NULL,
        comment      TEXT NOT NULL,
        fingerprint  TEXT NOT NULL,
        bits         INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (account_uuid, tag),
        UNIQUE (account_uuid, fingerprint)
      );

      CREATE TABLE posix_id_history (
        id          INTEGER PRIMARY KEY,
        entry_uuid  TEXT NOT NULL,
        assigned_at INTEGER NOT NULL
      );

      CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        source       TEXT NOT NULL,
        revoked      INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX sessions_account ON sessions (account_uuid);
      CREATE INDEX sessions_expiry ON sessions (expires_at);

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        label        TEXT NOT NULL,
        read_write   INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER
      );
      CREATE INDEX api_tokens_account ON api_tokens (account_uuid);

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      PRAGMA application_id = ${APPLICATION_ID};
    `,
  },
  {
    version: 2,
    description: 'TOTP, passkeys, backup codes, reset tokens, account policy',
    sql: `
      CREATE TABLE totp_credentials (
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        label        TEXT NOT NULL,
        secret       BLOB NOT NULL,
        last_step    INTEGER NOT NULL DEFAULT 0,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (account_uuid, label)
      ) WITHOUT ROWID;

      CREATE TABLE webauthn_user_handles (
        account_uuid TEXT PRIMARY KEY REFERENCES entries (uuid) ON DELETE CASCADE,
        handle       TEXT NOT NULL UNIQUE
      ) WITHOUT ROWID;

      CREATE TABLE passkeys (
        id            TEXT PRIMARY KEY,
        account_uuid  TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        public_key    BLOB NOT NULL,
        counter       INTEGER NOT NULL,
        transports    TEXT NOT NULL DEFAULT '[]',
        device_type   TEXT NOT NULL,
        backed_up     INTEGER NOT NULL CHECK (backed_up IN (0, 1)),
        aaguid        TEXT NOT NULL,
        fmt           TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER,
        UNIQUE (account_uuid, name)
      );
      CREATE INDEX passkeys_account ON passkeys (account_uuid);

      CREATE TABLE backup_codes (
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        code_hash    TEXT NOT NULL,
        PRIMARY KEY (account_uuid, code_hash)
      ) WITHOUT ROWID;

      CREATE TABLE reset_tokens (
        token_hash   TEXT PRIMARY KEY,
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        created_by   TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX reset_tokens_expiry ON reset_tokens (expires_at);

      CREATE TABLE account_policies (
        group_uuid              TEXT PRIMARY KEY REFERENCES entries (uuid) ON DELETE CASCADE,
        credential_type_minimum TEXT CHECK (credential_type_minimum IN ('any', 'mfa', 'passkey')),
        auth_expiry             INTEGER,
        password_minimum_length INTEGER
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'OAuth2 / OpenID Connect clients, scope and claim maps, consents, signing keys, protocol state',
    sql: `
      CREATE TABLE oauth2_clients (
        uuid            TEXT PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        displayname     TEXT NOT NULL,
        landing_url     TEXT NOT NULL,
        public          INTEGER NOT NULL CHECK (public IN (0, 1)),
        secret          TEXT,
        allow_localhost INTEGER NOT NULL DEFAULT 0 CHECK (allow_localhost IN (0, 1)),
        id_token_alg    TEXT NOT NULL DEFAULT 'ES256' CHECK (id_token_alg IN ('ES256', 'RS256')),
        pkce_required   INTEGER NOT NULL DEFAULT 1 CHECK (pkce_required IN (0, 1)),
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        CHECK ((public = 1) = (secret IS NULL)),
        CHECK (public = 1 OR allow_localhost = 0),
        CHECK (public = 0 OR pkce_required = 1)
      );

      CREATE TABLE oauth2_redirect_urls (
        client_uuid TEXT NOT NULL REFERENCES oauth2_clients (uuid) ON DELETE CASCADE,
        url         TEXT NOT NULL,
        PRIMARY KEY (client_uuid, url)
      ) WITHOUT ROWID;

      CREATE TABLE oauth2_scope_maps (
        client_uuid   TEXT NOT NULL REFERENCES oauth2_clients (uuid) ON DELETE CASCADE,
        supplementary INTEGER NOT NULL CHECK (supplementary IN (0, 1)),
        group_uuid    TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        scopes        TEXT NOT NULL,
        PRIMARY KEY (client_uuid, supplementary, group_uuid)
      ) WITHOUT ROWID;
      CREATE INDEX oauth2_scope_maps_group ON oauth2_scope_maps (group_uuid);

      CREATE TABLE oauth2_claim_maps (
        client_uuid  TEXT NOT NULL REFERENCES oauth2_clients (uuid) ON DELETE CASCADE,
        claim        TEXT NOT NULL,
        group_uuid   TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        claim_values TEXT NOT NULL,
        PRIMARY KEY (client_uuid, claim, group_uuid)
      ) WITHOUT ROWID;
      CREATE INDEX oauth2_claim_maps_group ON oauth2_claim_maps (group_uuid);

      CREATE TABLE oauth2_claim_joins (
        client_uuid TEXT NOT NULL REFERENCES oauth2_clients (uuid) ON DELETE CASCADE,
        claim       TEXT NOT NULL,
        join_kind   TEXT NOT NULL CHECK (join_kind IN ('csv', 'ssv', 'array')),
        PRIMARY KEY (client_uuid, claim)
      ) WITHOUT ROWID;

      CREATE TABLE oauth2_consents (
        account_uuid TEXT NOT NULL REFERENCES entries (uuid) ON DELETE CASCADE,
        client_uuid  TEXT NOT NULL REFERENCES oauth2_clients (uuid) ON DELETE CASCADE,
        scopes       TEXT NOT NULL,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (account_uuid, client_uuid)
      ) WITHOUT ROWID;
      CREATE INDEX oauth2_consents_client ON oauth2_consents (client_uuid);

      CREATE TABLE oauth2_signing_keys (
        kid         TEXT PRIMARY KEY,
        alg         TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
        private_jwk TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        retired_at  INTEGER
      ) WITHOUT ROWID;

      CREATE TABLE oauth2_state (
        model       TEXT NOT NULL,
        id          TEXT NOT NULL,
        payload     TEXT NOT NULL,
        grant_id    TEXT,
        user_code   TEXT,
        uid         TEXT,
        expires_at  INTEGER,
        consumed_at INTEGER,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oauth2_state_grant ON oauth2_state (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oauth2_state_uid ON oauth2_state (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oauth2_state_user_code ON oauth2_state (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oauth2_state_expiry ON oauth2_state (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE session_methods (
        session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        amr        TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'unix change log: changes, fact triggers, log id, expiry index',
    sql: UNIX_CHANGE_LOG_MIGRATION,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  INTEGER NOT NULL
)`;

/** The highest applied version, 0 for a new database, undefined when the table is absent. */
export function appliedVersion(db: Database.Database): number | undefined {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!table) return undefined;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function newerSchemaError(found: number): WardError {
  return new WardError(
    'unavailable',
    `the database has schema version ${found}, newer than this Ward understands (${SCHEMA_VERSION}); ` +
      'run the Ward release that wrote it, or restore a backup made by this one',
  );
}

/**
 * Brings the database to SCHEMA_VERSION. Each migration runs in an IMMEDIATE transaction that first
 * re-reads the version, so two processes opening the same new file cannot apply one twice.
 * Returns the versions before and after.
 */
export function migrate(db: Database.Database): { from: number; to: number } {
  db.exec(CREATE_TABLE);
  const from = appliedVersion(db) ?? 0;
  if (from > SCHEMA_VERSION) throw newerSchemaError(from);
  for (const migration of MIGRATIONS) {
    const apply = db.transaction(() => {
      const current = appliedVersion(db) ?? 0;
      if (current >= migration.version) return;
      if (current !== migration.version - 1) {
        throw new WardError('internal', `schema version ${current} cannot be migrated to ${migration.version}`);
      }
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        Date.now(),
      );
    });
    apply.immediate();
  }
  return { from, to: appliedVersion(db) ?? 0 };
}
