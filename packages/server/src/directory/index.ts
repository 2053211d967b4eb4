/** The directory: identities, groups, POSIX, SSH keys, credentials and access control (no HTTP). */
export { openDirectory, SqliteDirectory, RESERVED_SETTING_PREFIX, type OpenDirectoryOptions } from './directory.js';
export * from './types.js';
export { parseSshPublicKey, renderSshKey, sshFingerprint, SSH_KEY_TYPES, type ParsedSshKey } from './sshkey.js';
export { passwordProblem, PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_HASH_OPTIONS } from './password.js';
export { BUILTIN_ACCOUNTS } from './seed.js';
export { SESSION_MAX_TTL_SECONDS, API_TOKEN_MIN_TTL_SECONDS, API_TOKEN_MAX_TTL_SECONDS } from './tokens.js';
