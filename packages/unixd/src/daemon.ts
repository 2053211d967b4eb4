/**
 * Wires the daemon together: cache (SQLite + memory layer), IdP source, local files, resolver,
 * sync client (follows the IdP's change log), PAM service (sessions ask ward-unixd-tasks for the home directory on
 * tasks_socket) and the two sockets. `bin/ward-unixd.ts` only parses options, checks it is not
 * root and calls `startDaemon`.
 */
import type { UnixdConfig } from './config/keys.js';
import { readToken } from './config/token.js';
import { DirectoryCache } from './cache/memory.js';
import { CacheStore } from './cache/store.js';
import { IdpSource } from './idp/source.js';
import { LocalFiles } from './local/etc-files.js';
import { MapPublisher, mapPathOf } from './map/publisher.js';
import type { Logger } from './log.js';
import { homeDirectoryOpener } from './pam/home-session.js';
import { PamService } from './pam/pam.js';
import { Connectivity } from './resolver/connectivity.js';
import { Enumerator } from './resolver/enumeration.js';
import { Resolver } from './resolver/resolver.js';
import { SyncClient } from './resolver/sync.js';
import { createHandler, invalidate } from './server/handlers.js';
import { SocketServer } from './server/socket-server.js';

export interface Daemon {
  /** Marks every entry stale and lists everything again in the background (SIGHUP). */
  invalidate(): void;
  stop(): Promise<void>;
}

export async function startDaemon(cfg: UnixdConfig, log: Logger): Promise<Daemon> {
  // Everything the daemon creates (cache files, sockets before their chmod) is private by default.
  process.umask(0o077);
  const token = cfg.token_path ? readToken(cfg.token_path) : undefined;
  if (!token) log.info('no token_path: reading the directory anonymously');

  const store = CacheStore.open(cfg.cache_db, log);
  const counts = store.counts();
  log.info(`cache ${cfg.cache_db}: ${counts.users} users, ${counts.groups} groups`);

  const cache = new DirectoryCache(store, cfg.cache_ttl * 1000);
  const idp = new IdpSource({ url: cfg.idp_url, caPath: cfg.ca_path, token, timeoutMs: cfg.idp_timeout_ms }, log);
  const local = new LocalFiles(cfg.local_passwd_file, cfg.local_group_file, log);
  const conn = new Connectivity(log);
  const resolver: Resolver = new Resolver({ cache, idp, local, conn, cfg, log, live: () => sync.live });
  // Created once the sockets listen; the map waits for a full listing (hold below) and is
  // written as soon as one ends (after the turn in which the sync goes live).
  let map: MapPublisher | undefined;
  const sync: SyncClient = new SyncClient(store, idp, conn, log, () => {
    resolver.clearNegative();
    setImmediate(() => map?.poke());
  });
  const enumerator = new Enumerator(store, resolver, cfg);
  const pam = new PamService({ resolver, idp, store, conn, cfg, log, openSession: homeDirectoryOpener(cfg) });
  const handler = createHandler({ resolver, enumerator, pam, store, sync, conn, cfg, log });

  const servers = [
    new SocketServer({ path: cfg.socket, mode: 0o666, privileged: false }, handler, log),
    new SocketServer({ path: cfg.priv_socket, mode: 0o600, privileged: true }, handler, log),
  ];
  try {
    for (const s of servers) await s.listen();
  } catch (e) {
    for (const s of servers) await s.close();
    idp.close();
    store.close();
    throw e;
  }
  sync.start();
  map = new MapPublisher({ path: mapPathOf(cfg), cacheDb: cfg.cache_db, local, cfg, log, hold: () => sync.state === 'listing' });
  map.start();
  log.info(`ward-unixd serving ${cfg.socket} and ${cfg.priv_socket} for ${cfg.idp_url}`);

  return {
    invalidate: () => invalidate({ store, resolver, sync, log }),
    async stop() {
      sync.stop();
      await map?.stop();
      await Promise.all(servers.map((s) => s.close()));
      idp.close();
      // Nothing may write once the store is closed: the sync loop and offline hashes being stored.
      await Promise.all([sync.done(), pam.settled()]);
      store.close();
      log.info('ward-unixd stopped');
    },
  };
}
