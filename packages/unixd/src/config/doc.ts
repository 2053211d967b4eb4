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
  out.push('- Offline passwords: after each successful online password check the daemon stores an argon2id hash of');
  out.push('  the password in `cache_db`; when the IdP is unreachable, PAM checks the password against it. It is');
  out.push('  dropped when the IdP rejects that password, deletes the account, or `ward-unix cache-clear` runs.');
  out.push('');
  out.push('## Signals');
  out.push('');
  out.push('- `SIGTERM`, `SIGINT`: stop; the sockets are removed and the cache is kept.');
  out.push('- `SIGHUP`: mark every cache entry stale and refresh from the IdP (as `ward-unix cache-invalidate`).');
  out.push('');
  return out.join('\n');
}
