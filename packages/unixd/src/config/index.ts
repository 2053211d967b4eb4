/** The configuration of the host daemons: key table, loader, documentation and token reader. */
export { CONFIG_KEYS, DEFAULT_CONFIG_PATH, type UnixdConfig, type ConfigKey } from './keys.js';
export { loadConfig, parseConfig, ConfigError } from './load.js';
export { readToken } from './token.js';
export { renderConfigDoc } from './doc.js';
