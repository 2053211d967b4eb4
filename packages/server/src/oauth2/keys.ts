/**
 * The keys that sign ID tokens (and the other JWTs of the protocol): one ES256 key (the default)
 * and one RS256 key (for applications that cannot verify ES256) are active at any time, kept as
 * private JWKs in `oauth2_signing_keys` so they survive a restart and travel with a backup.
 *
 * Rotation (`ward system oauth2 rotate-keys`) makes a new pair active and retires the old one.
 * A retired key no longer signs (its JWK says `key_ops: ["verify"]` and it comes after the active
 * keys) but stays published at /oauth2/jwks for RETIRED_KEY_LIFETIME_MS, longer than any token it
 * signed lives (ID tokens: 1 hour), so applications keep verifying what they hold; then it is
 * removed. The `kid` is the key's RFC 7638 thumbprint.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { OAUTH2_ID_TOKEN_ALGS, type OAuth2IdTokenAlg, type OAuth2SigningKey } from '@ward/proto';
import type { OAuth2Store } from './store.js';

/** How long a retired key stays published: a day, well beyond the 1-hour life of an ID token. */
export const RETIRED_KEY_LIFETIME_MS = 24 * 3600 * 1000;
const RSA_MODULUS_BITS = 2048;

interface KeyRow {
  kid: string;
  alg: OAuth2IdTokenAlg;
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
}

async function newKey(alg: OAuth2IdTokenAlg): Promise<{ kid: string; jwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

export class SigningKeys {
  constructor(private readonly store: OAuth2Store) {}

  private rows(): KeyRow[] {
    // Active keys first (the provider signs with the first key of an algorithm), newest first.
    return this.store.db
      .prepare('SELECT * FROM oauth2_signing_keys ORDER BY retired_at IS NOT NULL, created_at DESC, kid')
      .all() as KeyRow[];
  }

  /** Creates the active key of each algorithm that has none (first start) and drops expired retired keys. */
  async ensure(now = Date.now()): Promise<void> {
    const missing: OAuth2IdTokenAlg[] = [];
    for (const alg of OAUTH2_ID_TOKEN_ALGS) {
      const active = this.store.db.prepare('SELECT 1 FROM oauth2_signing_keys WHERE alg = ? AND retired_at IS NULL').get(alg);
      if (!active) missing.push(alg);
    }
    const fresh = await Promise.all(missing.map((alg) => newKey(alg).then((k) => ({ alg, ...k }))));
    this.store.write(() => {
      for (const k of fresh) {
        // Another process may have made one meanwhile: keep a single active key per algorithm.
        const active = this.store.db.prepare('SELECT 1 FROM oauth2_signing_keys WHERE alg = ? AND retired_at IS NULL').get(k.alg);
        if (!active) this.insert(k.kid, k.alg, k.jwk, now);
      }
      this.prune(now);
    });
    if (fresh.length) this.store.configChanged();
  }

  private insert(kid: string, alg: OAuth2IdTokenAlg, jwk: JWK, now: number): void {
    this.store.db
      .prepare('INSERT INTO oauth2_signing_keys (kid, alg, private_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, NULL)')
      .run(kid, alg, JSON.stringify(jwk), now);
  }

  private prune(now: number): number {
    return this.store.db.prepare('DELETE FROM oauth2_signing_keys WHERE retired_at IS NOT NULL AND retired_at <= ?').run(now - RETIRED_KEY_LIFETIME_MS)
      .changes;
  }

  /** New active keys for every algorithm; the current ones are retired (they keep verifying for a day). */
  async rotate(now = Date.now()): Promise<void> {
    const fresh = await Promise.all(OAUTH2_ID_TOKEN_ALGS.map((alg) => newKey(alg).then((k) => ({ alg, ...k }))));
    this.store.write(() => {
      this.store.db.prepare('UPDATE oauth2_signing_keys SET retired_at = ? WHERE retired_at IS NULL').run(now);
      for (const k of fresh) this.insert(k.kid, k.alg, k.jwk, now);
      this.prune(now);
    });
    this.store.configChanged();
  }

  /**
   * The private JWKs for the provider's `jwks`: active keys first, then the retired ones still
   * published, marked verify-only. Drops retired keys whose time is up, as a side effect.
   */
  jwks(now = Date.now()): JWK[] {
    if (this.store.db.prepare('SELECT 1 FROM oauth2_signing_keys WHERE retired_at IS NOT NULL AND retired_at <= ?').get(now - RETIRED_KEY_LIFETIME_MS)) {
      this.store.write(() => this.prune(now));
    }
    return this.rows().map((r) => {
      const jwk = JSON.parse(r.private_jwk) as JWK;
      return r.retired_at === null ? jwk : { ...jwk, key_ops: ['verify'] };
    });
  }

  /** When the next retired key expires (the provider must be rebuilt then), or undefined. */
  nextExpiry(): number | undefined {
    const at = this.store.db.prepare('SELECT MIN(retired_at) FROM oauth2_signing_keys WHERE retired_at IS NOT NULL').pluck().get() as number | null;
    return at === null ? undefined : at + RETIRED_KEY_LIFETIME_MS;
  }

  list(): OAuth2SigningKey[] {
    const iso = (ms: number) => new Date(ms).toISOString();
    return this.rows().map((r) => ({
      kid: r.kid,
      alg: r.alg,
      state: r.retired_at === null ? 'active' : 'retired',
      created_at: iso(r.created_at),
      retired_at: r.retired_at === null ? null : iso(r.retired_at),
      removed_after: r.retired_at === null ? null : iso(r.retired_at + RETIRED_KEY_LIFETIME_MS),
    }));
  }
}
