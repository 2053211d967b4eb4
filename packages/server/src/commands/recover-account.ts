/**
 * `wardd recover-account <admin|idm_admin>`: the way back in when nobody can log in. Sets a new
 * random primary password directly in the database (no actor check: whoever can read the
 * server's configuration and database already owns the IdP) and prints it once. Safe while the
 * server runs: SQLite in WAL mode lets this second connection write.
 */
import { randomInt } from 'node:crypto';
import { openDirectory } from '../directory/index.js';
import type { Directory } from '../directory/types.js';
import { loadConfig } from '../config.js';
import { checkDbPath } from '../http/server.js';

import type { RecoverableAccount } from './shared.js';

export { RECOVERABLE_ACCOUNTS, type RecoverableAccount } from './shared.js';

/** Letters and digits without the look-alikes (0/O, 1/l/I): easy to read out and to paste. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
/** 32 characters of a 57-symbol alphabet: about 186 bits. */
const PASSWORD_LENGTH = 32;

export function generatePassword(length = PASSWORD_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export async function recoverAccount(directory: Directory, name: RecoverableAccount): Promise<string> {
  const password = generatePassword();
  await directory.setPrimaryPassword(name, password);
  return password;
}

/** Open the configured database on its own connection, recover, close. */
export async function recoverFromConfig(configPath: string, name: RecoverableAccount): Promise<string> {
  const config = loadConfig(configPath);
  checkDbPath(config);
  const directory = openDirectory({ dbPath: config.dbPath, domain: config.domain });
  try {
    return await recoverAccount(directory, name);
  } finally {
    directory.close();
  }
}
