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
  // The handlers go in before the server starts: a stop that arrives while it starts (holding
  // the database lock, opening its port) waits for the start and then stops it cleanly,
  // instead of the signal's default action killing the process half-started.
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let stopping: NodeJS.Signals | undefined;
  const finish = (s: NonNullable<typeof server>) => {
    const log = s.app.log;
    log.info({ signal: stopping }, `stopping on ${stopping}`);
    const force = setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS} ms: exiting now`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    s.close().then(
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
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      server?.app.log.warn({ signal }, 'second stop signal: exiting now');
      process.exit(1);
    }
    stopping = signal;
    if (server) finish(server);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  server = await startServer(config);
  if (stopping) finish(server);
}
