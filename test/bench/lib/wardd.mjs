/**
 * A real `wardd` for the benchmarks: started as a child process by `@ward/server/testing` (its
 * own temporary folder, CA and certificate, server.toml and SQLite file, HTTPS on 127.0.0.1),
 * stopped once to load the benchmark directory through the data layer (dataset.mjs), then started
 * again on the filled store. The child's pid is what the RSS figures read.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDirectory } from './dataset.mjs';
import { ROOT } from './paths.mjs';
import { progress } from './stats.mjs';

const testing = await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/testing/index.js')).href);
export const { startTestServer, adminToken } = testing;

/** Resolves { server, data } with the server running on the filled store. */
export async function startLoadedWardd({ persons } = {}) {
  const server = await startTestServer({ process: true, domain: 'bench.test' });
  try {
    await server.stop();
    progress(`loading the directory into ${server.dbPath}`);
    const data = await loadDirectory({ dbPath: server.dbPath, domain: server.domain, persons });
    progress(`loaded ${data.users.length} persons, ${data.groups.length} groups, ${data.keys} SSH keys in ${data.seconds.toFixed(1)} s`);
    await server.start();
    return { server, data };
  } catch (e) {
    await server.close();
    throw e;
  }
}
