/**
 * Host sync over HTTPS, as a host's daemon sees it: paged listings, the long poll answering at
 * once, waiting and being woken by a commit (of this server or of another process), ending empty
 * when its time is up, letting go of hosts that hang up, and releasing everyone at shutdown.
 * Query strings are validated like bodies: unknown keys and bad values are a 400.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardClient } from '@ward/client';
import type { UnixAccountPage, UnixChanges, UnixGroupPage } from '@ward/proto';
import { adminToken, rawRequest, startTestServer, type TestServer } from '../testing/index.js';

let srv: TestServer;
let admin: WardClient;
let host: WardClient;

beforeAll(async () => {
  srv = await startTestServer();
  admin = new WardClient({ url: srv.url, caPath: srv.caPath, token: await adminToken(srv) });
  host = new WardClient({ url: srv.url, caPath: srv.caPath, timeoutMs: 60_000 });
  for (const name of ['alice', 'bob', 'carol']) {
    await admin.call('person_create', { body: { name, displayname: name } });
    await admin.call('person_posix_set', { params: { id: name }, body: {} });
  }
  await admin.call('group_create', { body: { name: 'devs' } });
  await admin.call('group_posix_set', { params: { id: 'devs' }, body: {} });
  await admin.call('group_members_add', { params: { id: 'devs' }, body: { members: ['alice', 'bob'] } });
});
afterAll(() => srv?.close());

const changes = (since: string, wait = '0'): Promise<UnixChanges> => host.call('unix_sync_changes', { query: { since, wait } });
const head = async (): Promise<string> => (await host.call<UnixGroupPage>('unix_sync_groups', { query: { limit: '1' } })).cursor;

/** Resolves once `test` holds; checks every few milliseconds (no fixed sleeps). */
async function until(test: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (test()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never: ${what}`);
}

describe('paged listings', () => {
  it('pages accounts by uuid with `after`, each page with the cursor of the head', async () => {
    const cursor = await head();
    const names: string[] = [];
    let after: string | undefined;
    do {
      const page: UnixAccountPage = await host.call('unix_sync_accounts', { query: { limit: '2', ...(after ? { after } : {}) } });
      expect(page.cursor).toBe(cursor);
      names.push(...page.items.map((a) => a.name));
      after = page.next ?? undefined;
    } while (after);
    expect(names.sort()).toEqual(['alice', 'bob', 'carol']);
    const groups: UnixGroupPage = await host.call('unix_sync_groups');
    expect(groups.items.map((g) => [g.name, g.members])).toEqual([['devs', ['alice', 'bob']]]);
  });
});

describe('the long poll', () => {
  it('answers at once with what changed since the cursor', async () => {
    const since = await head();
    await admin.call('person_update', { params: { id: 'carol' }, body: { displayname: 'Carol C.' } });
    const answer = await changes(since, '50');
    expect(answer).toMatchObject({ resync: false, more: false, accounts: [{ name: 'carol', displayname: 'Carol C.' }] });
    expect(answer.cursor).toBe(await head());
  });

  it('waits, and a commit wakes it with the change', async () => {
    const since = await head();
    const waiting = changes(since, '50');
    await until(() => srv.directory!.unixWaiting === 1, 'the request waits');
    await admin.call('group_members_add', { params: { id: 'devs' }, body: { members: ['carol'] } });
    const answer = await waiting;
    expect(answer.accounts.map((a) => a.name)).toEqual(['carol']);
    expect(answer.groups.map((g) => [g.name, g.members])).toEqual([['devs', ['alice', 'bob', 'carol']]]);
  });

  it('is woken by a commit of another process too', async () => {
    const since = await head();
    const waiting = changes(since, '50');
    await until(() => srv.directory!.unixWaiting === 1, 'the request waits');
    const other = new Database(srv.dbPath); // as a `wardd` command would, on its own connection
    other.prepare("UPDATE entries SET shell = '/bin/dash' WHERE name = 'bob'").run();
    other.close();
    expect((await waiting).accounts.map((a) => [a.name, a.shell])).toEqual([['bob', '/bin/dash']]);
  });

  it('answers empty with the same cursor when nothing changed within `wait`', async () => {
    const since = await head();
    expect(await changes(since, '1')).toEqual({
      cursor: since, resync: false, accounts: [], groups: [], deleted_accounts: [], deleted_groups: [], more: false,
    });
  });

  it('tells a host with an unknown cursor to resync, with the head cursor', async () => {
    for (const since of ['nonsense', '0123456789abcdef-1', '%00']) {
      const res = await rawRequest(srv, { path: `/v1/unix/sync/changes?since=${since}&wait=0` });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ resync: true, cursor: await head() });
    }
  });

  it('lets go of a host that hangs up while waiting', async () => {
    const since = await head();
    const url = new URL(srv.url);
    const req = https.request({
      host: url.hostname, port: url.port, path: `/v1/unix/sync/changes?since=${since}&wait=50`, ca: readFileSync(srv.caPath), agent: false,
    });
    req.on('error', () => undefined); // the hang-up below
    req.end();
    await until(() => srv.directory!.unixWaiting === 1, 'the request waits');
    req.destroy();
    await until(() => srv.directory!.unixWaiting === 0, 'the waiter is gone');
  });
});

describe('query strings', () => {
  const refused: Array<[string, string]> = [
    ['an unknown key', '/v1/unix/sync/changes?since=x&foo=1'],
    ['no since', '/v1/unix/sync/changes?wait=1'],
    ['a wait too long', '/v1/unix/sync/changes?since=x&wait=56'],
    ['a wait that is no number', '/v1/unix/sync/changes?since=x&wait=soon'],
    ['a key twice', '/v1/unix/sync/changes?since=x&since=y'],
    ['a page of 0', '/v1/unix/sync/account?limit=0'],
    ['a page too large', '/v1/unix/sync/group?limit=5001'],
    ['a page size that is no number', '/v1/unix/sync/account?limit=many'],
    ['an after too long', `/v1/unix/sync/account?after=${'a'.repeat(65)}`],
    ['a query on a route that takes none', '/v1/unix/account?limit=1'],
  ];
  for (const [what, path] of refused) {
    it(`refuses ${what} with 400 bad_request`, async () => {
      const res = await rawRequest(srv, { path });
      expect(res.status, res.text).toBe(400);
      expect(res.json.error).toBe('bad_request');
    });
  }
});

describe('shutdown', () => {
  it('answers waiting hosts at once (empty, same cursor) instead of waiting them out', async () => {
    const since = await head();
    const waiting = rawRequest(srv, { path: `/v1/unix/sync/changes?since=${since}&wait=55` });
    await until(() => srv.directory!.unixWaiting === 1, 'the request waits');
    await srv.stop();
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ cursor: since, resync: false, accounts: [] });
  });
});
