import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenCache, defaultCachePath, type CachedToken } from './token-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempCache(): { cache: TokenCache; path: string; warnings: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ward-cache-'));
  dirs.push(dir);
  const path = join(dir, 'nested', 'ward', 'tokens.json');
  const warnings: string[] = [];
  return { cache: new TokenCache(path, (m) => warnings.push(m)), path, warnings };
}

function entry(url: string, name: string, savedAt: string, expiresAt = '2999-01-01T00:00:00Z'): CachedToken {
  return { url, name, spn: `${name}@example.com`, token: `tok-${name}-${savedAt}`, session_id: 's', expires_at: expiresAt, saved_at: savedAt };
}

describe('token cache', () => {
  it('creates its directory 0700 and its file 0600, and picks the entry by server and name', () => {
    const { cache, path } = tempCache();
    cache.save(entry('https://a:1', 'idm_admin', '2030-01-01T00:00:00Z'));
    cache.save(entry('https://a:1', 'admin', '2030-01-02T00:00:00Z'));
    cache.save(entry('https://b:1', 'idm_admin', '2030-01-03T00:00:00Z'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(cache.find('https://a:1', 'idm_admin')?.token).toBe('tok-idm_admin-2030-01-01T00:00:00Z');
    expect(cache.find('https://a:1', 'admin@example.com')?.name).toBe('admin');
    // Without a name: the most recent login to that server.
    expect(cache.find('https://a:1', undefined)?.name).toBe('admin');
    expect(cache.find('https://c:1', undefined)).toBeUndefined();
    expect(cache.find('https://b:1', 'admin')).toBeUndefined();
  });

  it('replaces a login of the same account, drops expired entries and removes on logout', () => {
    const { cache, path } = tempCache();
    cache.save(entry('https://a:1', 'idm_admin', '2030-01-01T00:00:00Z'));
    cache.save(entry('https://a:1', 'idm_admin', '2030-01-05T00:00:00Z'));
    cache.save(entry('https://a:1', 'old', '2030-01-06T00:00:00Z', '2000-01-01T00:00:00Z'));
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { tokens: CachedToken[] };
    expect(stored.tokens.map((t) => t.saved_at)).toEqual(['2030-01-05T00:00:00Z', '2030-01-06T00:00:00Z']);
    expect(cache.find('https://a:1', 'old')).toBeUndefined();
    expect(cache.remove('https://a:1', 'idm_admin')?.name).toBe('idm_admin');
    expect(cache.remove('https://a:1', 'idm_admin')).toBeUndefined();
  });

  it('tightens a cache file that other users could read, and survives a corrupt file', () => {
    const { cache, path, warnings } = tempCache();
    cache.save(entry('https://a:1', 'idm_admin', '2030-01-01T00:00:00Z'));
    chmodSync(path, 0o644);
    expect(cache.find('https://a:1', undefined)?.name).toBe('idm_admin');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warnings.join()).toMatch(/mode is now 0600/);
    writeFileSync(path, '{not json');
    expect(cache.find('https://a:1', undefined)).toBeUndefined();
    cache.save(entry('https://a:1', 'admin', '2030-01-01T00:00:00Z'));
    expect(cache.find('https://a:1', undefined)?.name).toBe('admin');
  });

  it('defaults to WARD_TOKEN_CACHE, then the XDG cache directory, then ~/.cache', () => {
    expect(defaultCachePath({ WARD_TOKEN_CACHE: '/x/t.json' })).toBe('/x/t.json');
    expect(defaultCachePath({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/ward/tokens.json');
    expect(defaultCachePath({})).toMatch(/\/\.cache\/ward\/tokens\.json$/);
  });
});
