/**
 * `wardd backup <file>` and `wardd restore <file>`, over the store's backup functions.
 *
 * A backup is SQLite's online backup of the live database, consistent even while the server
 * writes (the store writes it beside the target, verifies it and renames it into place). It holds
 * password hashes and the token signing key, so it is mode 0600.
 *
 * Restore replaces the database with a checked backup. It refuses a file that is not a valid
 * backup, and refuses while a server holds the database: the lock file (db-lock.ts) is checked
 * and then taken, so no server can start halfway through; the store also refuses a database
 * another connection has open. The replaced database is kept beside it, never deleted.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { acquireDbLock } from '../db-lock.js';
import { openDirectory } from '../directory/index.js';
import { checkDbPath } from '../http/server.js';
import { backupDatabase, restoreDatabase, verifyBackup } from '../store/index.js';
import { CommandError } from './shared.js';

export async function backupFromConfig(configPath: string, file: string, force = false): Promise<{ file: string; bytes: number }> {
  const config = loadConfig(configPath);
  if (!existsSync(config.dbPath)) throw new CommandError(`there is no database at ${config.dbPath} (db_path)`);
  const target = path.resolve(file);
  if (existsSync(target) && !force) throw new CommandError(`${target} already exists; use --force to replace it`);
  const directory = openDirectory({ dbPath: config.dbPath, domain: config.domain });
  try {
    await backupDatabase(directory.db, target);
  } finally {
    directory.close();
  }
  chmodSync(target, 0o600);
  return { file: target, bytes: statSync(target).size };
}

export function restoreFromConfig(configPath: string, file: string): { file: string; dbPath: string; previous: string | null } {
  const config = loadConfig(configPath);
  const source = path.resolve(file);
  if (!existsSync(source)) throw new CommandError(`${source} does not exist`);
  verifyBackup(source);
  checkDbPath(config);
  const lock = acquireDbLock(config.dbPath);
  try {
    const r = restoreDatabase(source, config.dbPath);
    return { file: source, dbPath: config.dbPath, previous: r.previous };
  } finally {
    lock.release();
  }
}
