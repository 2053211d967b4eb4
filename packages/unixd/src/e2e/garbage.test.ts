/**
 * Hostile bytes on the daemon's sockets: oversized and lying length prefixes, truncated fields,
 * unknown ops, ops of another socket, half-sent frames, stalled connections, floods. Each must
 * close only its own connection (after a BAD_REQUEST answer when there is something to answer),
 * while other connections, even ones open at the same time, keep being served.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OPS, REQUEST_MAX, SERVER_IDLE_MS, STATUS, decodeResponse, encodeRequest } from '@ward/proto';
import { FrameReader, frame } from '@ward/proto/node';
import { makeUser, startIdp, startUnixd, waitForRefresh, type DaemonHandle, type Idp } from '../test-support/harness.js';

let idp: Idp;
let d: DaemonHandle;

beforeAll(async () => {
  idp = await startIdp();
  await makeUser(idp.admin, 'alice');
  d = await startUnixd(idp.server);
  await waitForRefresh(d, 1);
}, 120_000);

afterAll(async () => {
  await d?.close();
  await idp?.close();
});

interface Exchange {
  answers: Array<{ status: number; message: string }>;
  closed: boolean;
}

/** Sends raw bytes (optionally half-closing), collects answers until the daemon closes or `waitMs`. */
function exchange(bytes: Buffer, opts: { end?: boolean; waitMs?: number; socket?: string } = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(opts.socket ?? d.socket);
    const reader = new FrameReader(1 << 20);
    const answers: Exchange['answers'] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ answers, closed: false });
    }, opts.waitMs ?? 3000);
    sock.on('connect', () => {
      sock.write(bytes);
      if (opts.end) sock.end();
    });
    sock.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        // The status leads every answer; only error answers are decoded further (one message).
        const status = f.readUInt32BE(0);
        answers.push({ status, message: status === STATUS.OK ? '' : decodeResponse('STATUS', f).message });
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ answers, closed: true });
    });
    sock.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE') return;
      reject(e);
    });
  });
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const good = () => frame(encodeRequest('PW_BY_NAME', { name: 'alice' }));

async function stillServing(): Promise<void> {
  expect((await d.call('PW_BY_NAME', { name: 'alice' })).status).toBe(STATUS.OK);
}

test.each([
  ['a length prefix above REQUEST_MAX', Buffer.concat([u32(REQUEST_MAX + 1), Buffer.alloc(16)]), /exceeds/],
  ['a length prefix of 4 GiB', Buffer.concat([u32(0xffffffff), Buffer.alloc(16)]), /exceeds/],
  ['an empty payload', u32(0), /truncated/],
  ['an unknown op', frame(Buffer.concat([u32(999)])), /unknown op code 999/],
  ['an op of the tasks socket', frame(encodeRequest('HOME_CREATE', { name: 'a', uid: 70000, gid: 70000, dir: '/home/a', aliases: [] })), /not served on this socket/],
  ['a string longer than its frame', frame(Buffer.concat([u32(OPS.PW_BY_NAME.code), u32(100), Buffer.from('abc')])), /truncated/],
  ['a missing field', frame(u32(OPS.PW_BY_UID.code)), /truncated/],
  ['bytes after the last field', frame(Buffer.concat([u32(OPS.PW_BY_UID.code), u32(70000), u32(1)])), /trailing bytes/],
  ['a NUL inside a name', frame(Buffer.concat([u32(OPS.PW_BY_NAME.code), u32(3), Buffer.from('a\0b')])), /NUL/],
  ['invalid UTF-8', frame(Buffer.concat([u32(OPS.PW_BY_NAME.code), u32(2), Buffer.from([0xc3, 0x28])])), /UTF-8/],
])('%s: one BAD_REQUEST answer, that connection closed, the daemon unharmed', async (_what, bytes, message) => {
  const r = await exchange(bytes);
  expect(r.closed).toBe(true);
  expect(r.answers).toHaveLength(1);
  expect(r.answers[0]!.status).toBe(STATUS.BAD_REQUEST);
  expect(r.answers[0]!.message).toMatch(message);
  await stillServing();
});

test('the privileged socket refuses garbage the same way', async () => {
  const r = await exchange(frame(u32(12345)), { socket: d.priv });
  expect(r).toMatchObject({ closed: true, answers: [{ status: STATUS.BAD_REQUEST }] });
  expect((await d.call('STATUS', {}, true)).status).toBe(STATUS.OK);
});

test('a frame cut short by the client: BAD_REQUEST on half-close, and a stalled one is dropped when idle', async () => {
  const half = good().subarray(0, 7);
  const r = await exchange(half, { end: true });
  expect(r).toMatchObject({ closed: true, answers: [{ status: STATUS.BAD_REQUEST, message: 'truncated frame' }] });
  const stalled = await exchange(half, { waitMs: SERVER_IDLE_MS + 3000 });
  expect(stalled).toEqual({ closed: true, answers: [] });
  await stillServing();
}, 20_000);

test('several requests on one connection are answered in order; a good request after garbage is not', async () => {
  const three = Buffer.concat([good(), frame(encodeRequest('PW_BY_NAME', { name: 'zed' })), frame(encodeRequest('STATUS'))]);
  const r = await exchange(three, { end: true });
  expect(r.answers.map((a) => a.status)).toEqual([STATUS.OK, STATUS.NOT_FOUND, STATUS.OK]);
  const mixed = await exchange(Buffer.concat([frame(u32(999)), good()]), { end: true });
  expect(mixed.answers.map((a) => a.status)).toEqual([STATUS.BAD_REQUEST]);
  const cut = await exchange(Buffer.concat([good(), good().subarray(0, 9)]), { end: true });
  expect(cut.answers).toEqual([{ status: STATUS.OK, message: '' }, { status: STATUS.BAD_REQUEST, message: 'truncated frame' }]);
});

test('garbage on one connection does not disturb another open at the same time', async () => {
  const sock = net.createConnection(d.socket);
  await new Promise((r) => sock.once('connect', r));
  const reader = new FrameReader(1 << 20);
  const next = () => new Promise<number>((resolve) => sock.once('data', (c) => resolve(decodeResponse('PW_BY_NAME', reader.push(c)[0]!).status)));
  sock.write(good());
  expect(await next()).toBe(STATUS.OK);
  await Promise.all(Array.from({ length: 50 }, (_, i) => exchange(i % 2 ? u32(0xffffffff) : frame(u32(999)))));
  sock.write(good());
  expect(await next()).toBe(STATUS.OK);
  sock.destroy();
});

test('a flood of connections, good and bad, leaves the daemon serving', async () => {
  const bad = Array.from({ length: 200 }, (_, i) => exchange(i % 3 === 0 ? Buffer.alloc(3) : frame(u32(4242)), { end: true }));
  const goodCalls = Array.from({ length: 100 }, () => d.call('PW_BY_NAME', { name: 'alice' }));
  const results = await Promise.all(goodCalls);
  await Promise.all(bad);
  expect(results.every((r) => r.status === STATUS.OK)).toBe(true);
  await stillServing();
  expect(d.output()).not.toMatch(/TypeError|RangeError|unhandled/i);
}, 30_000);
