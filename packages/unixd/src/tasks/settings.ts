/**
 * What ward-unixd-tasks takes from /etc/ward/unixd.toml (the same file and loader as ward-unixd),
 * plus the skeleton directory given on its command line. Nothing else of the daemon's
 * configuration reaches the root process.
 */
import type { UnixdConfig } from '../config/keys.js';

export const DEFAULT_SKEL_DIR = '/etc/skel';

export interface TasksSettings {
  /** Where the tasks socket is created; its directory's owner becomes the socket's owner. */
  tasksSocket: string;
  /** As configured, always ending in '/' (the config loader guarantees it). */
  homePrefix: string;
  homeBy: UnixdConfig['home_by'];
  homeAlias: UnixdConfig['home_alias'];
  /** Local accounts always win: a name or uid found here gets no directory home. */
  localPasswdFile: string;
  skelDir: string;
}

export function tasksSettings(config: UnixdConfig, skelDir: string = DEFAULT_SKEL_DIR): TasksSettings {
  return {
    tasksSocket: config.tasks_socket,
    homePrefix: config.home_prefix,
    homeBy: config.home_by,
    homeAlias: config.home_alias,
    localPasswdFile: config.local_passwd_file,
    skelDir,
  };
}
