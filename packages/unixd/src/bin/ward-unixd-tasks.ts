#!/usr/bin/env node
/**
 * `ward-unixd-tasks`: the root helper of ward-unixd. It reads the same /etc/ward/unixd.toml
 * (tasks_socket, home_prefix, home_by, home_alias, local_passwd_file, log_level; nothing else
 * matters to it) and serves home-directory creation on the tasks socket, and nothing else: no
 * network, no IdP, no cache. See tasks/server.ts for who may connect and tasks/home.ts for what
 * it creates.
 */
import { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/keys.js';
import { loadConfig } from '../config/load.js';
import { Logger } from '../log.js';
import { startTasksServer, type TasksServer } from '../tasks/server.js';
import { DEFAULT_SKEL_DIR, tasksSettings } from '../tasks/settings.js';

async function main(argv: string[]): Promise<void> {
  const program = new Command('ward-unixd-tasks')
    .description('Root helper of ward-unixd: creates home directories from the skeleton, on the tasks socket only.')
    .option('-c, --config <file>', 'the host configuration', DEFAULT_CONFIG_PATH)
    .option('--skel <dir>', 'skeleton directory copied into each new home', DEFAULT_SKEL_DIR)
    .showHelpAfterError()
    .parse(argv);
  const opts = program.opts<{ config: string; skel: string }>();

  if (process.getuid?.() !== 0) {
    throw new Error('must run as root: it creates home directories and gives them to their users');
  }
  const config = loadConfig(opts.config);
  const log = new Logger(config.log_level);

  // The handlers go in before the socket exists: a stop that arrives while it is being made (a
  // service manager may stop us the moment we start) waits for it and removes it, instead of
  // the default action killing us with the socket left behind.
  let server: TasksServer | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`tasks: ${signal}: stopping`);
    if (server) void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  server = await startTasksServer(tasksSettings(config, opts.skel), log);
  if (stopping) await server.close().then(() => process.exit(0));
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`ward-unixd-tasks: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
