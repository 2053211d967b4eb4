/**
 * @ward/unixd: the host side of Ward. `ward-unixd` resolves IdP users, groups and SSH keys for
 * the NSS module, the key command and PAM over proto's socket protocol, with an offline cache;
 * `ward-unix` inspects and controls it. This package owns the daemon, its configuration and the
 * admin tool; it must not import the server.
 */
export * from './config/index.js';
export { startDaemon, type Daemon } from './daemon.js';
export { Logger, LOG_LEVELS, type LogLevel } from './log.js';
export { homeOf, passwdOf, groupOf, privateGroupOf, type HomePaths } from './resolver/render.js';
export { main as wardUnixMain } from './cli/ward-unix.js';
