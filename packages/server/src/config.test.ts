import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, KEYS, loadConfig, parseBindAddress, parseConfig, tomlString } from './config.js';

const REQUIRED = 'tls_chain = "/etc/ward/chain.pem"\ntls_key = "/etc/ward/key.pem"\ndomain = "example.com"\n';
const FILE = '/etc/ward/server.toml';

function configError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('server.toml', () => {
  it('fills every default', () => {
    const c = parseConfig(REQUIRED, FILE);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8443,
      dbPath: '/var/lib/ward/ward.db',
      tlsChain: '/etc/ward/chain.pem',
      tlsKey: '/etc/ward/key.pem',
      domain: 'example.com',
      origin: 'https://example.com:8443',
      logLevel: 'info',
      sessionTtl: 28800,
      loginFailureLimit: 10,
      loginFailureWindow: 300,
      authLockThreshold: 5,
      authLockSeconds: 10,
      authLockMaxSeconds: 300,
    });
  });

  it('refuses a soft lock maximum below its first length', () => {
    expect(() => parseConfig(`${REQUIRED}auth_lock_seconds = 60\nauth_lock_max_seconds = 30\n`, '/etc/ward/server.toml')).toThrow(
      /auth_lock_max_seconds: must not be below auth_lock_seconds/,
    );
  });

  it('takes every key', () => {
    const c = parseConfig(
      `${REQUIRED}bindaddress = "[::1]:443"\ndb_path = "data/ward.db"\norigin = "https://idm.example.com/"\nlog_level = "debug"\nsession_ttl = 3600\nlogin_failure_limit = 3\nlogin_failure_window = 60\n`,
      FILE,
    );
    expect(c).toMatchObject({ host: '::1', port: 443, dbPath: '/etc/ward/data/ward.db', origin: 'https://idm.example.com', logLevel: 'debug', sessionTtl: 3600, loginFailureLimit: 3, loginFailureWindow: 60 });
  });

  it('leaves :443 out of the default origin', () => {
    expect(parseConfig(`${REQUIRED}bindaddress = "0.0.0.0:443"\n`, FILE).origin).toBe('https://example.com');
  });

  it('resolves relative paths against the file', () => {
    const c = parseConfig('tls_chain = "tls/chain.pem"\ntls_key = "../key.pem"\ndomain = "example.com"\ndb_path = "ward.db"\n', '/srv/ward/server.toml');
    expect([c.tlsChain, c.tlsKey, c.dbPath]).toEqual(['/srv/ward/tls/chain.pem', '/srv/key.pem', '/srv/ward/ward.db']);
  });

  it.each(['tls_chain', 'tls_key', 'domain'])('requires %s', (key) => {
    const text = REQUIRED.split('\n').filter((l) => !l.startsWith(`${key} `)).join('\n');
    const e = configError(text);
    expect(e.key).toBe(key);
    expect(e.message).toMatch(new RegExp(`^${key}: is required`));
  });

  it('refuses an unknown key, naming it', () => {
    const e = configError(`${REQUIRED}bind_address = "127.0.0.1:1"\n`);
    expect(e.key).toBe('bind_address');
    expect(e.message).toContain('bind_address: unknown key');
    expect(e.message).toContain('bindaddress');
  });

  it('refuses tables', () => {
    expect(configError(`${REQUIRED}[server]\nport = 1\n`).message).toMatch(/^server: unknown key \(tables are not used/);
  });

  it.each([
    ['bindaddress', '"127.0.0.1"', /not host:port/],
    ['bindaddress', '"127.0.0.1:70000"', /out of range/],
    ['bindaddress', '"[nonsense]:80"', /not host:port|not an IPv6/],
    ['bindaddress', '"bad host:80"', /neither an IP address nor a DNS name/],
    ['bindaddress', '8443', /must be a string/],
    ['db_path', '""', /must not be empty/],
    ['db_path', '1', /must be a string/],
    ['tls_chain', '[]', /must be a string, not an array/],
    ['domain', '"Example.COM"', /not a lower-case DNS name/],
    ['domain', '"exa mple.com"', /not a lower-case DNS name/],
    ['domain', '"-bad.com"', /not a lower-case DNS name/],
    ['origin', '"http://example.com"', /must be an https URL/],
    ['origin', '"example.com"', /not a URL/],
    ['origin', '"https://example.com/path"', /scheme, host and port only/],
    ['origin', '"https://user:pw@example.com"', /credentials/],
    ['log_level', '"verbose"', /must be one of trace, debug, info, warn, error, fatal, silent/],
    ['log_level', 'true', /must be a string, not a boolean/],
    ['session_ttl', '10', /between 60 and 2592000/],
    ['session_ttl', '"3600"', /must be an integer/],
    ['session_ttl', '3600.5', /must be an integer/],
    ['login_failure_limit', '0', /between 1 and 1000/],
    ['login_failure_window', '-1', /between 1 and 86400/],
  ])('refuses %s = %s', (key, value, problem) => {
    const base = REQUIRED.split('\n').filter((l) => !l.startsWith(`${key} `)).join('\n');
    const e = configError(`${base}\n${key} = ${value}\n`);
    expect(e.key).toBe(key);
    expect(e.message.startsWith(`${key}: `)).toBe(true);
    expect(e.message).toMatch(problem);
  });

  it('reports TOML syntax errors with their line', () => {
    const e = configError(`${REQUIRED}log_level = \n`);
    expect(e.key).toBe('');
    expect(e.message).toMatch(/not valid TOML \(line 4, column \d+\)/);
  });

  it('reports a duplicated key', () => {
    expect(configError(`${REQUIRED}domain = "other.com"\n`).message).toMatch(/not valid TOML/);
  });

  describe('files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ward-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loads a file', () => {
      const file = path.join(dir, 'server.toml');
      writeFileSync(file, REQUIRED);
      expect(loadConfig(file).file).toBe(file);
    });

    it('names a missing file', () => {
      expect(() => loadConfig(path.join(dir, 'missing.toml'))).toThrow(/cannot read the configuration file .*missing\.toml/);
    });

    it('round-trips strings written with tomlString', () => {
      const odd = 'dir with "quotes"\\ and \u007f and é';
      const file = path.join(dir, 'odd.toml');
      writeFileSync(file, `${REQUIRED}db_path = ${tomlString(`/tmp/${odd}/ward.db`)}\n`);
      expect(loadConfig(file).dbPath).toBe(`/tmp/${odd}/ward.db`);
    });
  });

  it('parses bind addresses', () => {
    expect(parseBindAddress('[::]:8443')).toEqual({ host: '::', port: 8443 });
    expect(parseBindAddress('idm.example.com:443')).toEqual({ host: 'idm.example.com', port: 443 });
    expect(parseBindAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
  });
});

describe('docs/server-config.md', () => {
  const doc = readFileSync(new URL('../../../docs/server-config.md', import.meta.url), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]),
  );

  it('documents exactly the accepted keys', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(KEYS).sort());
  });

  it('states each default as the code has it', () => {
    for (const [key, value] of Object.entries(DEFAULTS)) {
      const shown = typeof value === 'string' ? `\`"${value}"\`` : `\`${value}\``;
      expect(rows.get(key), key).toContain(shown);
    }
    for (const key of ['tls_chain', 'tls_key', 'domain']) expect(rows.get(key)).toBe('**required**');
  });
});
