/**
 * `wardd server`: run the IdP until SIGTERM or SIGINT, then stop gracefully: stop accepting,
 * let in-flight requests finish (bounded), close the database, release its lock. A second
 * signal, or a shutdown that overruns its bound, exits at once.
 */
import { loadConfig } from '../config.js';
import { startServer } from '../http/server.js';

/** How long in-flight requests get to finish after a stop signal. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function runServer(configPath: string): Promise<void> {
  const config = loadConfig(configPath);
  const server = await startServer(config);
  const log = server.app.log;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second stop signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, `stopping on ${signal}`);
    const force = setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms: exiting now`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (e: unknown) => {
        log.error({ err: e }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
