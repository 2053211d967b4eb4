/**
 * `@ward/server`: the Ward identity provider. The `wardd` executable (bin/wardd.ts) is the usual
 * way in; this module exposes the same parts for programs that embed or test the server.
 * Test helpers live apart, in `@ward/server/testing`.
 */
export { ConfigError, DEFAULTS, KEYS, LOG_LEVELS, configFromObject, loadConfig, parseConfig, type LogLevel, type ServerConfig } from './config.js';
export { DbLockedError, acquireDbLock, lockHolder } from './db-lock.js';
export { buildApp, type AppOptions } from './http/app.js';
export { startServer, type RunningServer, type StartOptions } from './http/server.js';
export { TokenService, type TokenContext } from './http/tokens.js';
export { generateCertificates, writeCertificates, type CertOptions, type GeneratedCerts } from './commands/cert-generate.js';
export { healthcheck, type HealthcheckOptions, type HealthResult } from './commands/healthcheck.js';
export { generatePassword, recoverAccount, recoverFromConfig } from './commands/recover-account.js';
export { backupFromConfig, restoreFromConfig } from './commands/backup.js';
export type * from './directory/types.js';
