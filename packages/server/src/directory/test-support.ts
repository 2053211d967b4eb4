/**
 * Support for the directory's own unit tests (not part of the server's API): a real store in a
 * fresh temporary directory, actors for the built-in and new accounts, and cleanup. No vitest
 * import here, so this compiles with the package like any other module.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WardError } from '@ward/proto';
import { openDirectory, type OpenDirectoryOptions, type SqliteDirectory } from './directory.js';
import type { AccountKind, Actor } from './types.js';

export const TEST_DOMAIN = 'example.test';

export interface TestDirectory {
  dir: SqliteDirectory;
  tmp: string;
  dbPath: string;
  /** admin: system_admins + idm_admins */
  admin: Actor;
  /** idm_admin: idm_admins */
  idmAdmin: Actor;
  anonymous: Actor;
  /** An actor for an existing account, by name. */
  actor(name: string, readWrite?: boolean): Actor;
  /** Creates an account (as admin) and returns its actor. */
  newAccount(name: string, kind?: AccountKind, memberOf?: string[]): Actor;
  reopen(): SqliteDirectory;
  cleanup(): void;
}

/** `options`: more options of openDirectory (e.g. small change-log bounds), kept on reopen(). */
export function openTestDirectory(options: Partial<OpenDirectoryOptions> = {}): TestDirectory {
  const tmp = mkdtempSync(join(tmpdir(), 'ward-directory-'));
  const dbPath = join(tmp, 'ward.db');
  let dir = openDirectory({ dbPath, domain: TEST_DOMAIN, ...options });
  const actor = (name: string, readWrite = true): Actor => {
    const uuid = dir.db.prepare('SELECT uuid FROM entries WHERE name = ?').pluck().get(name) as string | undefined;
    const found = uuid === undefined ? null : dir.actorFor(uuid, readWrite);
    if (!found) throw new Error(`no account ${name} that may log in`);
    return found;
  };
  const t: TestDirectory = {
    get dir() {
      return dir;
    },
    tmp,
    dbPath,
    admin: actor('admin'),
    idmAdmin: actor('idm_admin'),
    anonymous: { uuid: '00000000-0000-0000-0000-000000000000', name: 'anonymous', kind: 'anonymous', readWrite: false },
    actor,
    newAccount(name, kind = 'person', memberOf = []) {
      dir.createAccount(t.admin, kind, { name, displayname: `Test ${name}` });
      for (const group of memberOf) dir.addMembers(t.admin, group, [name]);
      return actor(name);
    },
    reopen() {
      dir.close();
      dir = openDirectory({ dbPath, domain: TEST_DOMAIN, ...options });
      return dir;
    },
    cleanup() {
      dir.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  return t;
}

/** The WardError code `fn` throws, or 'none' when it returns normally (other errors propagate). */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof WardError) return err.code;
    throw err;
  }
  return 'none';
}

export async function errorCodeAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof WardError) return err.code;
    throw err;
  }
  return 'none';
}
