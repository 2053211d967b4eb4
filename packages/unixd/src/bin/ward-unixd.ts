#!/usr/bin/env node
/**
 * `ward-unixd`: the host's resolver daemon. Parses options, refuses to run as root, loads the
 * configuration and starts the daemon (daemon.ts). Exit codes: 0 stopped by a signal, 1 failed
 * at start, 78 (EX_CONFIG) bad configuration.
 */
// Set before anything else runs: our own NSS module answers nothing to a process carrying it,
// so the daemon can never resolve a name through itself.
process.env['_WARD_LOOPS'] = 'NO';
// Memory before speed (issue 9: at most 80 MiB with 100,000 users): V8 grows its heap more
// slowly and collects sooner. Read by the GC as it runs, so setting it here still counts;
// NODE_OPTIONS does not accept it (the unit sets what it can there: --max-semi-space-size).
v8.setFlagsFromString('--optimize-for-size');

import v8 from 'node:v8';
import { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/keys.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { readToken } from '../config/token.js';
import { startDaemon } from '../daemon.js';
import { Logger } from '../log.js';

const EX_CONFIG = 78;

async function main(): Promise<void> {
  const program = new Command('ward-unixd')
    .description('Resolve IdP users, groups and SSH keys on this host, with an offline cache')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('--check', 'validate the configuration (and the token file) and exit')
    .helpOption('-h, --help', 'show this help')
    .parse();
  const opts = program.opts<{ config: string; check?: boolean }>();
  const log = new Logger('info');

  if (process.getuid?.() === 0 && !opts.check) {
    log.error('ward-unixd must not run as root: run it as its own unprivileged system user (the systemd unit does)');
    process.exit(1);
  }

  let cfg;
  try {
    cfg = loadConfig(opts.config);
    if (opts.check) {
      if (cfg.token_path) readToken(cfg.token_path);
      process.stdout.write(`${opts.config}: OK\n`);
      return;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(e.message);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
  log.setLevel(cfg.log_level);

  let daemon;
  try {
    daemon = await startDaemon(cfg, log);
  } catch (e) {
    log.error(`cannot start: ${(e as Error).message}`);
    process.exit(e instanceof ConfigError ? EX_CONFIG : 1);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    daemon.stop().then(
      () => process.exit(0),
      (e: Error) => {
        log.error(`while stopping: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => daemon.invalidate());
}

main().catch((e: Error) => {
  process.stderr.write(`ward-unixd: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
