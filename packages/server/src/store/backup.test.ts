import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WardError } from '@ward/proto';
import { openDirectory } from '../directory/index.js';
import { openTestDirectory, type TestDirectory } from '../directory/test-support.js';
import { backupDatabase, restoreDatabase, verifyBackup } from './backup.js';
import { openDatabase } from './database.js';
import { SCHEMA_VERSION } from './migrations.js';

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
});
afterEach(() => t.cleanup());

function names(dbPath: string): string[] {
  const dir = openDirectory({ dbPath, domain: 'example.test' });
  try {
    return dir.db.prepare("SELECT name FROM entries WHERE kind = 'person' ORDER BY name").pluck().all() as string[];
  } finally {
    dir.close();
  }
}

function refusal(fn: () => unknown): WardError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WardError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('backupDatabase', () => {
  it('makes a consistent, verified, owner-only, self-contained copy while the store is open', async () => {
    t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    const file = join(t.tmp, 'backup.db');
    const info = await backupDatabase(t.dir.db, file);
    expect(info).toEqual({ file, schemaVersion: SCHEMA_VERSION });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const copy = new Database(file, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.prepare("SELECT name FROM entries WHERE name = 'alice'").pluck().get()).toBe('alice');
    copy.close();
    // The live store keeps working after the backup.
    t.dir.createAccount(t.admin, 'person', { name: 'bob', displayname: 'Bob' });
    expect(verifyBackup(file).schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('replaces an existing backup file atomically and refuses the database itself as target', async () => {
    const file = join(t.tmp, 'backup.db');
    writeFileSync(file, 'old');
    await backupDatabase(t.dir.db, file);
    expect(verifyBackup(file).file).toBe(file);
    await expect(backupDatabase(t.dir.db, t.dbPath)).rejects.toThrow(/must not be the database itself/);
    await expect(backupDatabase(t.dir.db, `${t.dbPath}-wal`)).rejects.toThrow(/must not be the database itself/);
    await expect(backupDatabase(t.dir.db, join(t.tmp, 'missing', 'b.db'))).rejects.toThrow(/does not exist/);
  });
});

describe('verifyBackup', () => {
  it('refuses files that are not Ward backups, saying why', () => {
    const missing = join(t.tmp, 'missing.db');
    expect(refusal(() => verifyBackup(missing)).message).toMatch(/not a valid Ward backup: the file does not exist/);

    const junk = join(t.tmp, 'junk.db');
    writeFileSync(junk, Buffer.alloc(8192, 0x41));
    const junkError = refusal(() => verifyBackup(junk));
    expect(junkError.code).toBe('bad_request');
    expect(junkError.message).toMatch(/junk\.db is not a valid Ward backup/);

    const empty = join(t.tmp, 'empty.db');
    writeFileSync(empty, '');
    expect(refusal(() => verifyBackup(empty)).message).toMatch(/not a valid Ward backup/);

    const foreign = join(t.tmp, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(refusal(() => verifyBackup(foreign)).message).toMatch(/not a Ward store/);
  });

  it('refuses a damaged copy', async () => {
    const file = join(t.tmp, 'backup.db');
    await backupDatabase(t.dir.db, file);
    const bytes = readFileSync(file);
    const truncated = join(t.tmp, 'truncated.db');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(refusal(() => verifyBackup(truncated)).message).toMatch(/not a valid Ward backup/);
  });

  it('refuses a backup from a newer schema', async () => {
    const file = join(t.tmp, 'backup.db');
    await backupDatabase(t.dir.db, file);
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    expect(refusal(() => verifyBackup(file)).message).toMatch(/newer than this Ward understands/);
  });
});

describe('restoreDatabase', () => {
  it('puts a backup in place of a stopped store and keeps the old one aside', async () => {
    t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    const file = join(t.tmp, 'backup.db');
    await backupDatabase(t.dir.db, file);
    t.dir.createAccount(t.admin, 'person', { name: 'bob', displayname: 'Bob' });
    t.dir.close();

    const result = restoreDatabase(file, t.dbPath);
    expect(result.previous).toMatch(/ward\.db\.pre-restore-/);
    expect(existsSync(`${t.dbPath}-wal`)).toBe(false);
    expect(statSync(t.dbPath).mode & 0o777).toBe(0o600);
    expect(names(t.dbPath)).toEqual(['alice']);
    expect(names(result.previous!)).toEqual(['alice', 'bob']);
    t.reopen();
  });

  it('restores into an empty location', async () => {
    const file = join(t.tmp, 'backup.db');
    await backupDatabase(t.dir.db, file);
    const target = join(t.tmp, 'new.db');
    expect(restoreDatabase(file, target).previous).toBeNull();
    const db = openDatabase(target);
    expect(db.prepare("SELECT COUNT(*) FROM entries WHERE builtin = 1").pluck().get()).toBeGreaterThan(0);
    db.close();
  });

  it('refuses a file that is not a valid backup and changes nothing', () => {
    t.dir.createAccount(t.admin, 'person', { name: 'alice', displayname: 'Alice' });
    t.dir.close();
    const before = readFileSync(t.dbPath);
    const junk = join(t.tmp, 'junk.db');
    writeFileSync(junk, 'not a backup');
    expect(refusal(() => restoreDatabase(junk, t.dbPath)).code).toBe('bad_request');
    expect(readFileSync(t.dbPath).equals(before)).toBe(true);
    t.reopen();
    expect(names(t.dbPath)).toEqual(['alice']);
  });

  it('refuses while the store is open by a server', async () => {
    const file = join(t.tmp, 'backup.db');
    await backupDatabase(t.dir.db, file);
    const error = refusal(() => restoreDatabase(file, t.dbPath));
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/in use; stop wardd/);
    t.dir.createAccount(t.admin, 'person', { name: 'still', displayname: 'Still works' });
  });
});
