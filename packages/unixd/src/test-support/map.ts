/**
 * Writes an NSS map file with the real writer (MapPublisher over a real SQLite cache and real
 * passwd/group files), for tests that need maps the daemon would publish: the C reader's fuzz
 * seeds, round trips through the C module.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UnixAccount, UnixGroup } from '@ward/proto';
import { CacheStore } from '../cache/store.js';
import { parseConfig } from '../config/load.js';
import { LocalFiles } from '../local/etc-files.js';
import { Logger } from '../log.js';
import { MapPublisher } from '../map/publisher.js';

export interface TestMapSpec {
  accounts: UnixAccount[];
  groups: UnixGroup[];
  /** Local passwd and group text (default: root only). */
  passwd?: string;
  group?: string;
  /** More unixd.toml lines (name_format, home_*). */
  config?: string;
}

/** Builds `dir`/nss.map from the spec (dir is created; its cache and files are left there). */
export async function writeTestMap(dir: string, spec: TestMapSpec): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const quiet = new Logger('error', { write: () => true });
  const files = { db: path.join(dir, 'cache.db'), passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') };
  writeFileSync(files.passwd, spec.passwd ?? 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(files.group, spec.group ?? 'root:x:0:\n');
  const store = CacheStore.open(files.db, quiet);
  for (const a of spec.accounts) store.putAccount(a, Date.now());
  for (const g of spec.groups) store.putGroup(g, Date.now());
  const cfg = { ...parseConfig(`idp_url = "https://idm.example.com"\n${spec.config ?? ''}`), nss_map: path.join(dir, 'nss.map') };
  const pub = new MapPublisher({ path: cfg.nss_map, cacheDb: files.db, local: new LocalFiles(files.passwd, files.group, quiet), cfg, log: quiet });
  pub.start();
  await pub.settle();
  // Not stop(): that marks the file replaced, and the tests want it as the daemon serves it.
  pub.detach();
  store.close();
  return cfg.nss_map;
}
