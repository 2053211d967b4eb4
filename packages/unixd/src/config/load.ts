/**
 * Reads and validates unixd.toml against the key table (keys.ts). Every problem is a
 * ConfigError naming the file and the key, raised before the daemon touches anything, so a typo
 * never starts a half-configured daemon. Shared by `ward-unixd`, `ward-unix` and (later)
 * `ward-unixd-tasks`.
 */
import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { CONFIG_KEYS, ConfigValueError, type ConfigKey, type KeyDef, type UnixdConfig } from './keys.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A config file larger than this is certainly not a unixd.toml. */
const CONFIG_MAX_BYTES = 64 * 1024;

export function loadConfig(file: string): UnixdConfig {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > CONFIG_MAX_BYTES) throw new ConfigError(`${file}: larger than ${CONFIG_MAX_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read the configuration ${file}: ${(e as Error).message}`);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, source = 'unixd.toml'): UnixdConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    const where = e instanceof TomlError ? ` (line ${e.line}, column ${e.column})` : '';
    const first = ((e as Error).message.split('\n')[0] ?? '').trim();
    throw new ConfigError(`${source}: not valid TOML${where}: ${first}`);
  }

  const known = CONFIG_KEYS as Record<string, KeyDef<unknown>>;
  for (const key of Object.keys(raw)) {
    if (!Object.prototype.hasOwnProperty.call(known, key)) {
      throw new ConfigError(`${source}: unknown key "${key}" (known keys: ${Object.keys(known).join(', ')})`);
    }
  }

  const out: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(known)) {
    const value = raw[key];
    if (value === undefined) {
      if (d.default === undefined) throw new ConfigError(`${source}: the key "${key}" is required`);
      out[key] = Array.isArray(d.default) ? [...d.default] : d.default;
      continue;
    }
    try {
      out[key] = d.parse(value);
    } catch (e) {
      if (e instanceof ConfigValueError) throw new ConfigError(`${source}: key "${key}" ${e.message}`);
      throw e;
    }
  }
  const cfg = out as UnixdConfig;
  checkDistinct(cfg, source, ['socket', 'priv_socket', 'tasks_socket', 'cache_db']);
  return cfg;
}

/** Two keys naming the same file would make the daemon clobber its own socket or cache. */
function checkDistinct(cfg: UnixdConfig, source: string, keys: ConfigKey[]): void {
  const seen = new Map<unknown, ConfigKey>();
  for (const k of keys) {
    const other = seen.get(cfg[k]);
    if (other) throw new ConfigError(`${source}: key "${k}" names the same file as "${other}" (${String(cfg[k])})`);
    seen.set(cfg[k], k);
  }
}
