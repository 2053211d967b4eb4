/**
 * unixd.toml: defaults, every kind of bad value refused with a message naming the key, the
 * token file's permission check, and the reference page kept in step with the key table.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { CONFIG_KEYS, ConfigError, loadConfig, parseConfig, readToken, renderConfigDoc } from './index.js';

const BASE = 'idp_url = "https://idm.example.com:8443"\n';

function problem(text: string): string {
  try {
    parseConfig(text, 'unixd.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('unixd.toml', () => {
  test('a file with only idp_url gets every documented default', () => {
    const cfg = parseConfig(BASE);
    expect(cfg).toEqual({
      idp_url: 'https://idm.example.com:8443',
      ca_path: null,
      token_path: null,
      socket: '/run/ward-unixd/sock',
      priv_socket: '/run/ward-unixd/priv.sock',
      tasks_socket: '/run/ward-unixd/tasks.sock',
      nss_map: null,
      cache_db: '/var/cache/ward-unixd/cache.db',
      cache_ttl: 300,
      negative_ttl: 30,
      idp_timeout_ms: 2000,
      allowed_login_groups: [],
      default_shell: '/bin/bash',
      home_prefix: '/home/',
      home_by: 'name',
      home_alias: 'none',
      name_format: 'short',
      local_passwd_file: '/etc/passwd',
      local_group_file: '/etc/group',
      log_level: 'info',
    });
  });

  test('every key can be set', () => {
    const cfg = parseConfig(`${BASE}
ca_path = "/etc/ward/ca.pem"
token_path = "/etc/ward/token"
socket = "/run/w/s"
priv_socket = "/run/w/p"
tasks_socket = "/run/w/t"
cache_db = "/var/cache/w/c.db"
cache_ttl = 600
negative_ttl = 5
idp_timeout_ms = 500
allowed_login_groups = ["devs", "ops@example.com", "devs"]
default_shell = "/bin/zsh"
home_prefix = "/srv/home"
home_by = "uuid"
home_alias = "spn"
name_format = "spn"
local_passwd_file = "/x/passwd"
local_group_file = "/x/group"
log_level = "debug"
`);
    expect(cfg.allowed_login_groups).toEqual(['devs', 'ops@example.com']);
    expect(cfg.home_prefix).toBe('/srv/home/');
    expect(cfg.home_by).toBe('uuid');
    expect(cfg.cache_ttl).toBe(600);
  });

  test.each([
    ['', /the key "idp_url" is required/],
    [`${BASE}cache_tll = 5\n`, /unknown key "cache_tll"/],
    [`${BASE}[section]\nx = 1\n`, /unknown key "section"/],
    ['idp_url = "http://idm.example.com"\n', /key "idp_url" must use https/],
    ['idp_url = "https://idm.example.com/path"\n', /key "idp_url" must be the IdP's origin only/],
    ['idp_url = "not a url"\n', /key "idp_url" must be a URL/],
    ['idp_url = 5\n', /key "idp_url" must be a string/],
    [`${BASE}cache_ttl = "300"\n`, /key "cache_ttl" must be an integer from 10 to 604800 \(got "300"\)/],
    [`${BASE}cache_ttl = 1\n`, /key "cache_ttl" must be an integer from 10/],
    [`${BASE}cache_ttl = 30.5\n`, /key "cache_ttl" must be an integer/],
    [`${BASE}idp_timeout_ms = 0\n`, /key "idp_timeout_ms" must be an integer from 100 to 60000/],
    [`${BASE}negative_ttl = -1\n`, /key "negative_ttl"/],
    [`${BASE}home_by = "id"\n`, /key "home_by" must be one of "uuid", "name" \(got "id"\)/],
    [`${BASE}home_alias = true\n`, /key "home_alias" must be one of "none", "name", "spn"/],
    [`${BASE}name_format = "long"\n`, /key "name_format"/],
    [`${BASE}log_level = "trace"\n`, /key "log_level"/],
    [`${BASE}socket = "run/sock"\n`, /key "socket" must be an absolute path/],
    [`${BASE}socket = "/run/../sock"\n`, /key "socket" must be a normalized path/],
    [`${BASE}socket = "/${'a'.repeat(120)}"\n`, /key "socket" must be at most 107 bytes/],
    [`${BASE}cache_db = "/var/cache/"\n`, /key "cache_db" must name a file/],
    [`${BASE}priv_socket = "/run/ward-unixd/sock"\n`, /key "priv_socket" names the same file as "socket"/],
    [`${BASE}allowed_login_groups = "devs"\n`, /key "allowed_login_groups" must be a list/],
    [`${BASE}allowed_login_groups = ["Devs"]\n`, /key "allowed_login_groups" holds "Devs"/],
    [`${BASE}allowed_login_groups = [1]\n`, /key "allowed_login_groups" must be a string/],
    [`${BASE}default_shell = "bash"\n`, /key "default_shell" must be an absolute path to a shell/],
    [`${BASE}home_prefix = "/"\n`, /key "home_prefix" must not be "\/"/],
    [`${BASE}home_prefix = "/home/a b"\n`, /key "home_prefix" may hold only/],
    [`${BASE}local_passwd_file = ""\n`, /key "local_passwd_file" must be an absolute path/],
    ['idp_url = "https://x\n', /not valid TOML \(line 1/],
  ])('refuses %j', (text, expected) => {
    expect(problem(text)).toMatch(expected);
  });

  test('ca_path and token_path may be set to "" to mean unset', () => {
    expect(parseConfig(`${BASE}ca_path = ""\ntoken_path = ""\n`)).toMatchObject({ ca_path: null, token_path: null });
  });

  test('loadConfig names the file it cannot read', () => {
    expect(() => loadConfig('/nonexistent/unixd.toml')).toThrow(/cannot read the configuration \/nonexistent\/unixd.toml/);
  });
});

describe('token file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ward-unixd-token-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode: number) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    chmodSync(f, mode);
    return f;
  };

  test('a private file is read, trimmed', () => {
    expect(readToken(file('ok', 'abc.def.ghi\n', 0o600))).toBe('abc.def.ghi');
    expect(readToken(file('group', 'abc\n', 0o640))).toBe('abc');
  });

  test('a file other users can read is refused with the fix', () => {
    expect(() => readToken(file('open', 'abc\n', 0o644))).toThrow(/accessible by other users \(mode 0644\); run: chmod o-rwx/);
  });

  test('empty, multi-line, missing and symlinked files are refused', () => {
    expect(() => readToken(file('empty', '\n', 0o600))).toThrow(/is empty/);
    expect(() => readToken(file('two', 'a b\n', 0o600))).toThrow(/one token on one line/);
    expect(() => readToken(path.join(dir, 'missing'))).toThrow(/cannot open .*ENOENT/);
    const link = path.join(dir, 'link');
    symlinkSync(file('target', 'abc', 0o600), link);
    expect(() => readToken(link)).toThrow(/cannot open .*ELOOP/);
  });
});

describe('docs/unixd-config.md', () => {
  test('is the page rendered from the key table (run `npm run gen:config-doc -w @ward/unixd`)', () => {
    const page = fileURLToPath(new URL('../../../../docs/unixd-config.md', import.meta.url));
    expect(readFileSync(page, 'utf8')).toBe(renderConfigDoc());
  });

  test('documents every key with its default', () => {
    const page = renderConfigDoc();
    for (const key of Object.keys(CONFIG_KEYS)) expect(page).toContain(`### ${key}\n`);
  });
});
