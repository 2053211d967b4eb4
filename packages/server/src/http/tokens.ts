/**
 * Bearer tokens: ES256-signed JWTs (RFC 7519) whose signature only proves that this server issued
 * them. Each names a record in the directory (a session or an API token) and is accepted only
 * while that record exists and is live, so logout, revocation and expiry take effect at once.
 *
 * Two kinds, told apart by the explicit `typ` header (RFC 8725 §3.11), never by guessing:
 *   session    sub = account uuid, sid = session id, exp = session expiry
 *   API token  sub = service account uuid, jti = token id, scope = ro | rw, exp = token expiry (if any)
 *
 * The signing key is generated on first start and kept in the directory's settings, so tokens
 * survive a restart and a restore brings its key along. Secrets never leave this module in logs.
 */
import { SignJWT, decodeProtectedHeader, errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { WardError } from '@ward/proto';
import type { Actor, ApiTokenRecord, Directory, SessionRecord } from '../directory/types.js';

/** The settings key holding the private signing key (a JWK); backups carry it. */
export const SIGNING_KEY_SETTING = 'token.signing_jwk';
const ALG = 'ES256';
const AUDIENCE = 'ward-api';
export const SESSION_TYP = 'ward-session+jwt';
export const API_TOKEN_TYP = 'ward-api-token+jwt';
/** Longest token we bother to parse; ours are ~400 bytes. */
const MAX_TOKEN_LENGTH = 4096;

/** What a verified token says about its bearer. */
export type TokenContext =
  | { kind: 'session'; actor: Actor; sessionId: string }
  | { kind: 'api_token'; actor: Actor; tokenId: string };

export class TokenService {
  private constructor(
    private readonly directory: Directory,
    private readonly issuer: string,
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
  ) {}

  /** Load the signing key from the directory, creating it on first start. */
  static async open(directory: Directory, issuer: string): Promise<TokenService> {
    let stored = directory.getSetting(SIGNING_KEY_SETTING);
    if (stored === undefined) {
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG };
      stored = JSON.stringify(jwk);
      directory.setSetting(SIGNING_KEY_SETTING, stored);
    }
    const jwk = JSON.parse(stored) as JWK;
    if (typeof jwk.kid !== 'string' || typeof jwk.d !== 'string') throw new Error('the stored token signing key is damaged');
    const { d: _private, ...publicJwk } = jwk;
    const privateKey = (await importJWK(jwk, ALG)) as CryptoKey;
    const publicKey = (await importJWK(publicJwk, ALG)) as CryptoKey;
    return new TokenService(directory, issuer, jwk.kid, privateKey, publicKey);
  }

  /** The JWT for a session the directory just created. */
  signSession(session: SessionRecord): Promise<string> {
    return this.sign(SESSION_TYP, { sid: session.id }, session.accountUuid, session.expiresAt);
  }

  /** The JWT for an API token record the directory just created. */
  signApiToken(record: ApiTokenRecord): Promise<string> {
    return this.sign(API_TOKEN_TYP, { jti: record.id, scope: record.readWrite ? 'rw' : 'ro' }, record.accountUuid, record.expiresAt);
  }

  private sign(typ: string, claims: Record<string, string>, sub: string, expiresAtMs: number | null): Promise<string> {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt();
    if (expiresAtMs !== null) jwt.setExpirationTime(Math.floor(expiresAtMs / 1000));
    return jwt.sign(this.privateKey);
  }

  /**
   * Check a bearer token and the record behind it. Every failure is the same `token_invalid`
   * to the caller, so a probe learns nothing about why.
   */
  async verify(token: string): Promise<TokenContext> {
    try {
      return await this.verifyOrThrow(token);
    } catch (e) {
      // A bad token is the client's problem; a failing database is not, and must not look like one.
      if (e instanceof joseErrors.JOSEError) throw new WardError('token_invalid');
      throw e;
    }
  }

  private async verifyOrThrow(token: string): Promise<TokenContext> {
    if (token.length > MAX_TOKEN_LENGTH) throw new WardError('token_invalid');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new WardError('token_invalid');
    }
    if (header.typ !== SESSION_TYP && header.typ !== API_TOKEN_TYP) throw new WardError('token_invalid');
    const { payload } = await jwtVerify(token, this.publicKey, {
      algorithms: [ALG],
      issuer: this.issuer,
      audience: AUDIENCE,
      typ: header.typ,
      requiredClaims: header.typ === SESSION_TYP ? ['sub', 'sid', 'exp'] : ['sub', 'jti', 'scope'],
    });
    const sub = payload.sub as string;
    const now = Date.now();
    if (header.typ === SESSION_TYP) {
      const sessionId = String(payload.sid);
      const session = this.directory.getSession(sessionId);
      if (!session || session.accountUuid !== sub || session.revoked || session.expiresAt <= now) {
        throw new WardError('token_invalid');
      }
      return { kind: 'session', actor: this.actor(sub, true), sessionId };
    }
    const tokenId = String(payload.jti);
    const record = this.directory.getApiToken(tokenId);
    if (!record || record.accountUuid !== sub || (record.expiresAt !== null && record.expiresAt <= now)) {
      throw new WardError('token_invalid');
    }
    // The record is the authority; the claim can only narrow it.
    const readWrite = record.readWrite && payload.scope === 'rw';
    return { kind: 'api_token', actor: this.actor(sub, readWrite), tokenId };
  }

  /** The account behind a live record; gone, locked or expired accounts yield no actor. */
  private actor(uuid: string, readWrite: boolean): Actor {
    const actor = this.directory.actorFor(uuid, readWrite);
    if (!actor) throw new WardError('token_invalid');
    return actor;
  }
}

/**
 * The bearer token of a session the sign-in flow created (AuthState 'success'): for the REST
 * answer and the web UI's cookie alike. `tokens.verify(token)` gives the actor and session back.
 */
export function sessionToken(tokens: TokenService, session: SessionRecord): Promise<string> {
  return tokens.signSession(session);
}
