/**
 * GET /status answers while the server is healthy and says so when its database is gone; any
 * other failure then is a 500 whose cause is logged in full and hidden from the client.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminToken, rawRequest, startTestServer, type TestServer } from '../testing/index.js';

let srv: TestServer;
const lines: string[] = [];
beforeAll(async () => {
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  srv = await startTestServer({ domain: 'status.example.test', logLevel: 'info', logStream });
});
afterAll(() => srv?.close());

it('answers ok with the version and the domain', async () => {
  const res = await rawRequest(srv, { path: '/status' });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), domain: 'status.example.test' });
});

it('answers a write on a full disk with 503, changing nothing, and keeps reading', async () => {
  const token = await adminToken(srv);
  const db = (srv.directory as unknown as { db: { pragma(p: string, o?: { simple: boolean }): unknown } }).db;
  // SQLite's page limit at the current size: the next page the file needs fails as a full disk would (SQLITE_FULL).
  const pages = db.pragma('page_count', { simple: true }) as number;
  const before = db.pragma('max_page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  try {
    let res;
    let i = 0;
    for (; i < 50; i++) {
      res = await rawRequest(srv, { method: 'POST', path: '/v1/person', token, json: { name: `filler${i}`, displayname: 'F', description: 'x'.repeat(1000) } });
      if (res.status !== 201) break;
    }
    expect(res!.status).toBe(503);
    expect(res!.json).toEqual({ error: 'unavailable', message: 'the server cannot store the change: its disk is full; nothing was changed, try again later' });
    expect((await rawRequest(srv, { path: `/v1/person/filler${i}`, token })).status).toBe(404);
    expect((await rawRequest(srv, { path: '/v1/person', token })).status).toBe(200);
  } finally {
    db.pragma(`max_page_count = ${before}`);
  }
});

it('answers 503 once the database no longer answers, and 500 elsewhere with the cause only in the log', async () => {
  (srv.directory as unknown as { close(): void }).close();
  const status = await rawRequest(srv, { path: '/status' });
  expect(status.status).toBe(503);
  expect(status.json).toEqual({ error: 'unavailable', message: 'the database does not answer' });

  const res = await rawRequest(srv, { path: '/v1/unix/account' });
  expect(res.status).toBe(500);
  expect(res.json).toEqual({ error: 'internal', message: 'internal server error' });
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; url?: string; err?: { message: string; stack: string } });
  const entry = logged.find((l) => l.msg === 'request failed' && l.url === '/v1/unix/account');
  expect(entry?.level).toBe(50);
  expect(entry?.err?.message).toMatch(/database/i);
  expect(entry?.err?.stack).toBeTruthy();
});
