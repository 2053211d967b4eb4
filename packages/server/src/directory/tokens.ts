/**
 * The records behind tokens: login sessions and service-account API tokens. The HTTP layer signs
 * and checks the tokens themselves; this module keeps their records and answers only with live
 * ones (not expired, not revoked), so a forgotten check upstream cannot revive a dead token.
 * Identifiers are 24 random bytes in base64url.
 */
import { randomBytes } from 'node:crypto';
import { WardError, type ApiToken, type CreateApiTokenRequest } from '@ward/proto';
import { assertCanChangeAccount, rightsOf, targetFor, writeRightsOf } from './access.js';
import { iso, type DirectoryCore } from './core.js';
import { isAnonymousAccount, mayLogIn } from './credentials.js';
import type { Actor, ApiTokenRecord, SessionRecord } from './types.js';
import { checkBoolean, checkKeys, checkLabel } from './validate.js';

export const SESSION_MAX_TTL_SECONDS = 366 * 86400;
export const API_TOKEN_MIN_TTL_SECONDS = 60;
export const API_TOKEN_MAX_TTL_SECONDS = 10 * 365 * 86400;
const SOURCE_MAX_LENGTH = 256;

export function newRecordId(): string {
  return randomBytes(24).toString('base64url');
}

// ---- sessions ---------------------------------------------------------------------------------

interface SessionRow {
  id: string;
  account_uuid: string;
  created_at: number;
  expires_at: number;
  source: string;
  revoked: 0 | 1;
}

function sessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    accountUuid: row.account_uuid,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    source: row.source,
    revoked: row.revoked === 1,
  };
}

export function createSession(core: DirectoryCore, accountUuid: string, ttlSeconds: number, source: string): SessionRecord {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > SESSION_MAX_TTL_SECONDS) {
    throw new WardError('invalid_attribute', `a session lifetime must be 1 to ${SESSION_MAX_TTL_SECONDS} seconds`);
  }
  const cleanSource = String(source ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, SOURCE_MAX_LENGTH);
  return core.write(() => {
    const row = core.entryByUuid(accountUuid);
    if (!row || !mayLogIn(row, core.now())) throw new WardError('not_found', 'no account that may log in has this id');
    const now = core.now();
    core.stmt('DELETE FROM sessions WHERE expires_at <= ?').run(now); // keep the table small
    const session: SessionRow = {
      id: newRecordId(),
      account_uuid: row.uuid,
      created_at: now,
      expires_at: now + ttlSeconds * 1000,
      source: cleanSource,
      revoked: 0,
    };
    core
      .stmt('INSERT INTO sessions (id, account_uuid, created_at, expires_at, source, revoked) VALUES (?, ?, ?, ?, ?, 0)')
      .run(session.id, session.account_uuid, session.created_at, session.expires_at, session.source);
    return sessionRecord(session);
  });
}

export function getSession(core: DirectoryCore, id: string): SessionRecord | undefined {
  if (typeof id !== 'string') return undefined;
  const row = core.stmt('SELECT * FROM sessions WHERE id = ? AND revoked = 0 AND expires_at > ?').get(id, core.now()) as
    | SessionRow
    | undefined;
  return row && sessionRecord(row);
}

export function listSessions(core: DirectoryCore, accountUuid: string): SessionRecord[] {
  const rows = core
    .stmt('SELECT * FROM sessions WHERE account_uuid = ? AND revoked = 0 AND expires_at > ? ORDER BY created_at, rowid')
    .all(accountUuid, core.now()) as SessionRow[];
  return rows.map(sessionRecord);
}

export function revokeSession(core: DirectoryCore, accountUuid: string, id: string): { changed: boolean } {
  return core.write(() => {
    const result = core.stmt('UPDATE sessions SET revoked = 1 WHERE id = ? AND account_uuid = ? AND revoked = 0').run(id, accountUuid);
    return { changed: result.changes > 0 };
  });
}

// ---- API tokens -------------------------------------------------------------------------------

interface TokenRow {
  id: string;
  account_uuid: string;
  label: string;
  read_write: 0 | 1;
  created_at: number;
  expires_at: number | null;
}

function tokenRecord(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    accountUuid: row.account_uuid,
    label: row.label,
    readWrite: row.read_write === 1,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

function tokenView(row: TokenRow): ApiToken {
  return {
    id: row.id,
    label: row.label,
    read_write: row.read_write === 1,
    created_at: iso(row.created_at),
    expires_at: row.expires_at === null ? null : iso(row.expires_at),
  };
}

export function createApiToken(core: DirectoryCore, actor: Actor, ref: string, req: CreateApiTokenRequest): ApiTokenRecord {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['service_account']);
  assertCanChangeAccount(core, rights, target, 'api_tokens');
  if (isAnonymousAccount(target)) throw new WardError('builtin', 'anonymous cannot have API tokens');
  checkKeys(req, new Set(['label', 'read_write', 'expires_in']), 'an API token request');
  const label = checkLabel(req.label);
  const readWrite = req.read_write === undefined ? false : checkBoolean(req.read_write, 'read_write');
  const expiresIn = req.expires_in;
  if (
    expiresIn !== undefined &&
    (!Number.isInteger(expiresIn) || expiresIn < API_TOKEN_MIN_TTL_SECONDS || expiresIn > API_TOKEN_MAX_TTL_SECONDS)
  ) {
    throw new WardError('invalid_attribute', `expires_in must be ${API_TOKEN_MIN_TTL_SECONDS} to ${API_TOKEN_MAX_TTL_SECONDS} seconds`);
  }
  return core.write(() => {
    core.reread(target.uuid);
    const now = core.now();
    const row: TokenRow = {
      id: newRecordId(),
      account_uuid: target.uuid,
      label,
      read_write: readWrite ? 1 : 0,
      created_at: now,
      expires_at: expiresIn === undefined ? null : now + expiresIn * 1000,
    };
    core
      .stmt('INSERT INTO api_tokens (id, account_uuid, label, read_write, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.id, row.account_uuid, row.label, row.read_write, row.created_at, row.expires_at);
    return tokenRecord(row);
  });
}

export function listApiTokens(core: DirectoryCore, actor: Actor, ref: string): ApiToken[] {
  const rights = rightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['service_account']);
  const rows = core.stmt('SELECT * FROM api_tokens WHERE account_uuid = ? ORDER BY created_at, rowid').all(target.uuid) as TokenRow[];
  return rows.map(tokenView);
}

export function destroyApiToken(core: DirectoryCore, actor: Actor, ref: string, tokenId: string): { changed: boolean } {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, ['service_account']);
  assertCanChangeAccount(core, rights, target, 'api_tokens');
  return core.write(() => {
    const result = core.stmt('DELETE FROM api_tokens WHERE id = ? AND account_uuid = ?').run(String(tokenId), target.uuid);
    return { changed: result.changes > 0 };
  });
}

export function getApiToken(core: DirectoryCore, id: string): ApiTokenRecord | undefined {
  if (typeof id !== 'string') return undefined;
  const row = core
    .stmt('SELECT * FROM api_tokens WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)')
    .get(id, core.now()) as TokenRow | undefined;
  return row && tokenRecord(row);
}
