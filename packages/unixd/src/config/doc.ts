/**
 * Renders docs/unixd-config.md from the key table, so the reference page always matches what
 * the daemon accepts. `npm run gen:config-doc -w @ward/unixd` writes it; config.test.ts fails
 * when the committed page differs.
 */
import { CONFIG_KEYS, DEFAULT_CONFIG_PATH, type KeyDef } from './keys.js';

function showDefault(d: KeyDef<unknown>): string {
  if (d.default === undefined) return '(required)';
  if (d.default === null) return '(unset)';
  return '`' + JSON.stringify(d.default) + '`';
}

function tomlValue(v: unknown): string {
  return JSON.stringify(v);
}

export function renderConfigDoc(): string {
  const out: string[] = [];
  out.push('<!-- GENERATED from packages/unixd/src/config/keys.ts by `npm run gen:config-doc -w @ward/unixd`; do not edit. -->');
  out.push('# ward-unixd configuration');
  out.push('');
  out.push(`\`ward-unixd\`, \`ward-unix\` and \`ward-unixd-tasks\` read \`${DEFAULT_CONFIG_PATH}\` (TOML), or the file given with \`-c FILE\`.`);
  out.push('Every key is optional except `idp_url`. An unknown key or a bad value stops the daemon at start with a message');
  out.push('naming the key; `ward-unixd --check -c FILE` validates a file without starting anything.');
  out.push('');
  out.push('## Example');
  out.push('');
  out.push('```toml');
  out.push('idp_url = "https://idm.example.com:8443"');
  out.push('ca_path = "/etc/ward/ca.pem"');
  out.push('allowed_login_groups = ["devs", "ops"]');
  out.push('```');
  out.push('');
  out.push('## Keys');
  out.push('');
  out.push('| Key | Type | Default |');
  out.push('|---|---|---|');
  for (const [key, d] of Object.entries(CONFIG_KEYS) as Array<[string, KeyDef<unknown>]>) {
    out.push(`| [\`${key}\`](#${key}) | ${d.type} | ${showDefault(d)} |`);
  }
  out.push('');
  for (const [key, d] of Object.entries(CONFIG_KEYS) as Array<[string, KeyDef<unknown>]>) {
    out.push(`### ${key}`);
    out.push('');
    out.push(d.doc);
    out.push('');
    out.push(`- Type: ${d.type}`);
    out.push(`- Default: ${showDefault(d)}`);
    if (d.default !== undefined && d.default !== null) out.push(`- As TOML: \`${key} = ${tomlValue(d.default)}\``);
    out.push('');
  }
  out.push('## Files and permissions');
  out.push('');
  out.push('- The daemon runs as an unprivileged system user and refuses to start as root.');
  out.push('- `socket` is created mode 0666, `priv_socket` mode 0600; their directory (`/run/ward-unixd` under the');
  out.push('  systemd unit\'s `RuntimeDirectory`) is created when missing.');
  out.push('- `cache_db` and its `-wal`/`-shm` companions are created mode 0600.');
  out.push('- Offline passwords: after each successful online password check (once the answer is sent, so a login');
  out.push('  pays for the IdP\'s argon2id only) the daemon stores an argon2id hash of the password in `cache_db`;');
  out.push('  when the IdP is unreachable, PAM checks the password against it. It is dropped when the IdP says');
  out.push('  "wrong password" for that password, deletes the account, or `ward-unix cache-clear` runs. An IdP that');
  out.push('  rate-limits the account (`rate_limited`) gives no verdict: the check answers "unavailable" and the hash');
  out.push('  is kept (it does not fall back to the hash either, so an old password cannot be forced through).');
  out.push('- Offline guessing is throttled per account: from the third wrong password in a row, each one closes');
  out.push('  the account\'s offline check for 1 s, 2 s, 4 s, ... (at most 5 min); while closed every password, the');
  out.push('  right one included, is refused without being checked. A right password clears the count.');
  out.push('');
  out.push('## Sync');
  out.push('');
  out.push('The daemon keeps `cache_db` a copy of the IdP\'s unix view. At first start (and after `cache-clear`,');
  out.push('`cache-invalidate`, `SIGHUP`, or when the IdP no longer knows its cursor) it lists every account and group');
  out.push('page by page, then long-polls the IdP for what changed since (one request held up to 25-55 s), applying');
  out.push('each change within about a second of the IdP\'s write: a deleted SSH key or a locked account is refused on');
  out.push('a connected host at once, without `cache-invalidate`. The change-log cursor is stored with the cache, so a');
  out.push('restarted daemon (or a host back from sleep) catches up from it instead of listing everything again.');
  out.push('Lookups never wait for sync: pages are written in small transactions between requests. When the IdP');
  out.push('cannot be reached the daemon serves its cache (offline) and tries again after a random delay that doubles');
  out.push('per failure, at most 10 s (full jitter: a fleet reconnecting to a restarted IdP does not arrive at once);');
  out.push('a lookup that finds the IdP back ends the wait. `ward-unix status` shows the sync state (`listing`, `live`,');
  out.push('`offline`, `unsupported` for an IdP without sync, which is then read entry by entry as `cache_ttl` ages them),');
  out.push('when the cache was last known current and when a change was last applied.');
  out.push('');
  out.push('## Signals');
  out.push('');
  out.push('- `SIGTERM`, `SIGINT`: stop; the sockets are removed and the cache is kept.');
  out.push('- `SIGHUP`: mark every cache entry stale and list the whole directory again in the background (as');
  out.push('  `ward-unix cache-invalidate`); lookups keep answering from the cache meanwhile.');
  out.push('');
  return out.join('\n');
}
