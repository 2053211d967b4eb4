/**
 * Host sync at the directory level: paged listings, cursors a host may hold (valid, stale,
 * foreign, malformed), compaction, cut pages, and the long poll's waiting.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { UNIX_SYNC_MAX_PAGE, type UnixChanges } from '@ward/proto';
import { backupDatabase, restoreDatabase } from '../store/backup.js';
import { MIGRATIONS } from '../store/migrations.js';
import { UNIX_CHANGE_LOG_MIGRATION } from '../store/unix-change-log.js';
import { openDirectory } from './directory.js';
import { TEST_DOMAIN, errorCode, openTestDirectory, type TestDirectory } from './test-support.js';

let t: TestDirectory;
afterEach(() => t.cleanup());

function posixAccounts(names: string[]): void {
  for (const n of names) {
    t.newAccount(n);
    t.dir.setAccountPosix(t.admin, 'person', n, {});
  }
}

const resync = (c: UnixChanges): boolean => c.resync && c.accounts.length === 0 && c.deleted_accounts.length === 0;

describe('paged listings', () => {
  it('pages POSIX accounts and real POSIX groups by uuid, each page with the head cursor', () => {
    t = openTestDirectory();
    posixAccounts(['a1', 'a2', 'a3', 'a4', 'a5']);
    t.newAccount('plain');
    for (const g of ['g1', 'g2', 'g3']) {
      t.dir.createGroup(t.admin, { name: g });
      t.dir.setGroupPosix(t.admin, g, {});
      t.dir.addMembers(t.admin, g, ['a1', 'plain']);
    }
    const head = t.dir.unixSyncCursor();
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = t.dir.unixSyncAccounts(after, '2');
      expect(page.cursor).toBe(head);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((a) => a.uuid));
      after = page.next ?? undefined;
    } while (after);
    expect(seen).toEqual([...seen].sort());
    expect(seen.length).toBe(5);
    const groups = t.dir.unixSyncGroups();
    // Real groups only: hosts derive each account's own group themselves.
    expect(groups.items.map((g) => g.name).sort()).toEqual(['g1', 'g2', 'g3']);
    expect(groups.items.every((g) => g.members.join() === 'a1')).toBe(true);
    expect(groups.next).toBeNull();
  });

  it('refuses a page size out of bounds', () => {
    t = openTestDirectory();
    for (const limit of ['0', String(UNIX_SYNC_MAX_PAGE + 1), '-1', 'ten', '']) {
      expect(errorCode(() => t.dir.unixSyncAccounts(undefined, limit))).toBe('bad_request');
    }
    expect(t.dir.unixSyncAccounts(undefined, String(UNIX_SYNC_MAX_PAGE)).items).toEqual([]);
  });
});

describe('cursors', () => {
  it('a cursor that is malformed, of another log, ahead of the head, or below the floor: resync at the head', () => {
    t = openTestDirectory({ unixChangeLog: { keepRows: 2 } });
    posixAccounts(['a1']);
    const old = t.dir.unixSyncCursor();
    const [logId, seq] = old.split('-') as [string, string];
    for (const bad of ['', 'x', `${logId}-`, `${logId}-01`, `${logId}-1e3`, `${'0'.repeat(16)}-1`, `${logId}-${Number(seq) + 1}`, '\u0000'.repeat(100)]) {
      const answer = t.dir.unixChangesNow(bad);
      expect(resync(answer), JSON.stringify(bad)).toBe(true);
      expect(answer.cursor).toBe(old);
    }
    expect(t.dir.unixChangesNow(old)).toMatchObject({ resync: false, cursor: old, accounts: [] });
    posixAccounts(['a2', 'a3', 'a4']);
    t.dir.compactUnixChanges();
    const now = t.dir.unixChangesNow(old);
    expect(resync(now)).toBe(true);
    expect(now.cursor).toBe(t.dir.unixSyncCursor());
  });

  it('a restored store is another log: every cursor resyncs', async () => {
    t = openTestDirectory();
    posixAccounts(['a1']);
    const backup = join(t.tmp, 'backup.db');
    await backupDatabase(t.dir.db, backup);
    const before = t.dir.unixSyncCursor();
    posixAccounts(['a2']);
    const after = t.dir.unixSyncCursor();
    const restoredPath = join(t.tmp, 'restored.db');
    restoreDatabase(backup, restoredPath);
    const restored = openDirectory({ dbPath: restoredPath, domain: TEST_DOMAIN });
    try {
      for (const cursor of [before, after]) expect(resync(restored.unixChangesNow(cursor))).toBe(true);
      expect(restored.unixSyncCursor().split('-')[0]).not.toBe(before.split('-')[0]);
    } finally {
      restored.close();
    }
  });
});

describe('a store from before the change log', () => {
  it('gets a log on upgrade: its entries are listed, later changes are followed', () => {
    t = openTestDirectory();
    const path = join(t.tmp, 'old.db');
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.sql === UNIX_CHANGE_LOG_MIGRATION))) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.description);
    }
    old
      .prepare("INSERT INTO entries (uuid, kind, name, displayname, posix_id, shell, created_at, updated_at) VALUES (?, 'person', 'olga', 'Olga', 60001, '/bin/sh', 0, 0)")
      .run(randomUUID());
    old.close();
    const upgraded = openDirectory({ dbPath: path, domain: TEST_DOMAIN });
    try {
      const page = upgraded.unixSyncAccounts();
      expect(page.items.map((a) => a.name)).toEqual(['olga']);
      expect(page.cursor).toMatch(/^[0-9a-f]{16}-[0-9]+$/);
      const adminUuid = upgraded.db.prepare("SELECT uuid FROM entries WHERE name = 'admin'").pluck().get() as string;
      upgraded.setAccountPosix(upgraded.actorFor(adminUuid, true)!, 'person', 'olga', { shell: '/bin/bash' });
      expect(upgraded.unixChangesNow(page.cursor).accounts.map((a) => [a.name, a.shell])).toEqual([['olga', '/bin/bash']]);
    } finally {
      upgraded.close();
    }
  });
});

describe('change pages', () => {
  it('compaction keeps the newest rows: a recent cursor still follows', () => {
    t = openTestDirectory({ unixChangeLog: { keepRows: 3 } });
    posixAccounts(['a1', 'a2']);
    const recent = t.dir.unixSyncCursor();
    t.dir.updateAccount(t.admin, 'person', 'a1', { displayname: 'A one' });
    t.dir.compactUnixChanges();
    expect(t.dir.unixChangesNow(recent)).toMatchObject({ resync: false, accounts: [{ name: 'a1', displayname: 'A one' }] });
  });

  it('compaction drops rows older than the age bound', () => {
    t = openTestDirectory({ unixChangeLog: { keepMs: 60_000 } });
    posixAccounts(['a1']);
    const old = t.dir.unixSyncCursor();
    t.dir.updateAccount(t.admin, 'person', 'a1', { displayname: 'A one' });
    t.dir.db.prepare('UPDATE unix_changes SET at = at - 120000').run(); // as if written two minutes ago
    t.dir.compactUnixChanges();
    expect(resync(t.dir.unixChangesNow(old))).toBe(true);
    expect(t.dir.db.prepare('SELECT COUNT(*) FROM unix_changes').pluck().get()).toBe(0);
    const head = t.dir.unixSyncCursor();
    expect(t.dir.unixChangesNow(head)).toMatchObject({ resync: false, cursor: head });
  });

  it(`cuts a page at ${UNIX_SYNC_MAX_PAGE} entries and says more; the next page goes on from there`, () => {
    t = openTestDirectory();
    t.dir.createGroup(t.admin, { name: 'everyone' });
    const since = t.dir.unixSyncCursor();
    const total = UNIX_SYNC_MAX_PAGE + 7;
    t.dir.db.transaction(() => {
      for (let i = 0; i < total; i++) {
        t.dir.createAccount(t.admin, 'person', { name: `u${i}`, displayname: `U ${i}` });
        t.dir.setAccountPosix(t.admin, 'person', `u${i}`, {});
      }
    })();
    const first = t.dir.unixChangesNow(since);
    expect(first).toMatchObject({ resync: false, more: true });
    expect(first.accounts.length).toBe(UNIX_SYNC_MAX_PAGE);
    const second = t.dir.unixChangesNow(first.cursor);
    expect(second).toMatchObject({ resync: false, more: false, cursor: t.dir.unixSyncCursor() });
    const names = new Set([...first.accounts, ...second.accounts].map((a) => a.name));
    expect(names.size).toBe(total);
  });

  it('answers the same question once: hosts asking for the same cursor share one answer', () => {
    t = openTestDirectory();
    posixAccounts(['a1']);
    const since = t.dir.unixSyncCursor();
    t.dir.updateAccount(t.admin, 'person', 'a1', { displayname: 'A one' });
    const a = t.dir.unixChangesNow(since);
    expect(t.dir.unixChangesNow(since)).toBe(a);
    expect(Object.isFrozen(a.accounts[0])).toBe(true);
  });
});

describe('the long poll', () => {
  it('answers at once when there are changes', async () => {
    t = openTestDirectory();
    const since = t.dir.unixSyncCursor();
    posixAccounts(['a1']);
    expect((await t.dir.unixChanges(since, '50')).accounts.map((a) => a.name)).toEqual(['a1']);
  });

  it('waits for a commit and answers with it', async () => {
    t = openTestDirectory();
    posixAccounts(['a1']);
    const since = t.dir.unixSyncCursor();
    const answer = t.dir.unixChanges(since, '50');
    expect(t.dir.unixWaiting).toBe(1);
    t.dir.updateAccount(t.admin, 'person', 'a1', { locked: true });
    expect((await answer).accounts.map((a) => [a.name, a.locked])).toEqual([['a1', true]]);
    expect(t.dir.unixWaiting).toBe(0);
  });

  it('answers empty with the same cursor when the time is up, when the host hangs up, and at shutdown', async () => {
    t = openTestDirectory();
    const since = t.dir.unixSyncCursor();
    expect(await t.dir.unixChanges(since, '1')).toMatchObject({ cursor: since, resync: false, accounts: [], more: false });
    const hangUp = new AbortController();
    const aborted = t.dir.unixChanges(since, '50', hangUp.signal);
    expect(t.dir.unixWaiting).toBe(1);
    hangUp.abort();
    expect(await aborted).toMatchObject({ cursor: since, accounts: [] });
    expect(t.dir.unixWaiting).toBe(0);
    const released = t.dir.unixChanges(since, '50');
    t.dir.releaseUnixWaiters();
    expect(await released).toMatchObject({ cursor: since, accounts: [] });
    expect(await t.dir.unixChanges(since, '50')).toMatchObject({ cursor: since, accounts: [] });
  });

  it('refuses a wait out of bounds', async () => {
    t = openTestDirectory();
    const since = t.dir.unixSyncCursor();
    for (const wait of ['56', '-1', 'x', '1.5']) {
      await expect(t.dir.unixChanges(since, wait)).rejects.toMatchObject({ code: 'bad_request' });
    }
  });
});
