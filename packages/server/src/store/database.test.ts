import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WardError } from '@ward/proto';
import { openDatabase } from './database.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, appliedVersion, migrate } from './migrations.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ward-store-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('openDatabase', () => {
  it('creates an owner-only file in WAL mode with durable, checked settings', () => {
    const path = join(tmp, 'ward.db');
    const db = openDatabase(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('k', 'v');
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    db.close();
  });

  it('tightens the mode of an existing file', () => {
    const path = join(tmp, 'ward.db');
    openDatabase(path).close();
    chmodSync(path, 0o644);
    openDatabase(path).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('applies every migration once, in order, and records it', () => {
    const path = join(tmp, 'ward.db');
    const db = openDatabase(path);
    const rows = db.prepare('SELECT version, description FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(appliedVersion(db)).toBe(SCHEMA_VERSION);
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    db.close();
    const again = openDatabase(path);
    expect(again.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    again.close();
  });

  it('upgrades a database whose accounts share a mail address: the first created keeps it', () => {
    // An older Ward (schema 3) accepted one address on two persons, in different letter case.
    const path = join(tmp, 'ward.db');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.description);
    }
    const person = old.prepare("INSERT INTO entries (uuid, kind, name, mail, created_at, updated_at) VALUES (?, 'person', ?, ?, ?, ?)");
    person.run('u-late', 'late', JSON.stringify(['ALICE@example.com']), 2, 2);
    person.run('u-first', 'first', JSON.stringify(['alice@example.com', 'Only@Example.com']), 1, 1);
    old.close();
    const db = openDatabase(path);
    expect(appliedVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT address, account_uuid FROM mail_addresses ORDER BY address').all()).toEqual([
      { address: 'alice@example.com', account_uuid: 'u-first' },
      { address: 'only@example.com', account_uuid: 'u-first' },
    ]);
    expect(() => db.prepare("INSERT INTO mail_addresses VALUES ('alice@example.com', 'u-late')").run()).toThrow(/UNIQUE/);
    db.close();
  });

  it('enforces foreign keys and the group-only membership rule', () => {
    const db = openDatabase(join(tmp, 'ward.db'));
    expect(() => db.prepare("INSERT INTO memberships VALUES ('nope', 'nope')").run()).toThrow(/FOREIGN KEY|only groups/);
    db.prepare("INSERT INTO entries (uuid, kind, name, created_at, updated_at) VALUES ('p', 'person', 'p', 0, 0)").run();
    expect(() => db.prepare("INSERT INTO memberships VALUES ('p', 'p')").run()).toThrow(/only groups have members/);
    db.close();
  });

  it('refuses a database written by a newer Ward, and leaves it alone', () => {
    const path = join(tmp, 'ward.db');
    const db = openDatabase(path);
    db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    let error: unknown;
    try {
      openDatabase(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WardError);
    expect((error as WardError).message).toMatch(/newer than this Ward understands/);
    const raw = new Database(path, { readonly: true });
    expect(appliedVersion(raw)).toBe(SCHEMA_VERSION + 1);
    raw.close();
  });

  it('refuses a file that is not a database with a clear error', () => {
    const path = join(tmp, 'junk.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to fill a header page.'.repeat(20));
    expect(() => openDatabase(path)).toThrow(/cannot (open|use) the database .*junk\.db/);
  });

  it('refuses an in-memory database', () => {
    expect(() => openDatabase(':memory:')).toThrow(WardError);
  });
});
