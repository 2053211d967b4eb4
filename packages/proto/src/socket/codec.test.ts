import { describe, expect, it } from 'vitest';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, ProtocolError, redactForLog } from './codec.js';
import { STATUS, statusName } from './schema.js';
import { FrameReader, frame } from '../node/framing.js';

describe('socket codec', () => {
  it('round-trips every request shape', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['PW_BY_NAME', { name: 'alice' }],
      ['PW_BY_UID', { uid: 65536 }],
      ['PW_ENUM', { offset: 256 }],
      ['INITGROUPS', { name: 'alice@example.com' }],
      ['PAM_AUTH', { name: 'alice', password: 'pässwörd' }],
      ['STATUS', {}],
      ['HOME_CREATE', { name: 'alice', uid: 70000, gid: 70000, dir: '/home/alice', aliases: ['/home/alice@x'] }],
    ];
    for (const [op, msg] of cases) {
      const decoded = decodeRequest(encodeRequest(op, msg as never));
      expect(decoded.op).toBe(op);
      expect(decoded.msg).toEqual(msg);
    }
  });

  it('round-trips records and lists in responses', () => {
    const entry = { name: 'devs', gid: 70001, members: ['alice', 'bob'] };
    const r = decodeResponse('GR_ENUM', encodeResponse('GR_ENUM', STATUS.OK, { entries: [entry, { ...entry, members: [] }] }));
    expect(r.status).toBe(STATUS.OK);
    expect(r.msg).toEqual({ entries: [entry, { ...entry, members: [] }] });
    const nf = decodeResponse('PW_BY_NAME', encodeResponse('PW_BY_NAME', STATUS.NOT_FOUND, 'no such user'));
    expect(nf).toEqual({ status: STATUS.NOT_FOUND, msg: {}, message: 'no such user' });
  });

  it('refuses truncated, trailing, oversized and unknown messages', () => {
    const good = encodeRequest('PW_BY_NAME', { name: 'alice' });
    expect(() => decodeRequest(good.subarray(0, good.length - 1))).toThrow(ProtocolError);
    expect(() => decodeRequest(new Uint8Array([...good, 0]))).toThrow(/trailing/);
    expect(() => decodeRequest(new Uint8Array([0, 0, 0, 99]))).toThrow(/unknown op/);
    const huge = new Uint8Array(12);
    new DataView(huge.buffer).setUint32(0, 1);
    new DataView(huge.buffer).setUint32(4, 0xfffffff0);
    expect(() => decodeRequest(huge)).toThrow(ProtocolError);
    const withNul = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 0x61, 0]);
    expect(() => decodeRequest(withNul)).toThrow(/NUL/);
    const badUtf8 = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 1, 0xff]);
    expect(() => decodeRequest(badUtf8)).toThrow(/UTF-8/);
    const manyItems = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
    expect(() => decodeResponse('SSH_KEYS', manyItems)).toThrow(ProtocolError);
  });

  it('never renders a secret in a log line', () => {
    const line = redactForLog('PAM_AUTH', { name: 'alice', password: 'hunter2hunter2' });
    expect(line).toContain('alice');
    expect(line).not.toContain('hunter2');
    expect(redactForLog('PAM_CHAUTHTOK', { name: 'a', old_password: 'x1y2z3', new_password: 'p9q8r7' })).not.toMatch(/x1y2z3|p9q8r7/);
  });

  it('frames and splits a byte stream, bounding the frame size', () => {
    const reader = new FrameReader(64);
    const a = frame(new Uint8Array([1, 2, 3]));
    const b = frame(new Uint8Array([4]));
    const stream = Buffer.concat([a, b]);
    expect(reader.push(stream.subarray(0, 5))).toEqual([]);
    const out = reader.push(stream.subarray(5));
    expect(out.map((f) => [...f])).toEqual([[1, 2, 3], [4]]);
    expect(() => new FrameReader(8).push(frame(new Uint8Array(9)))).toThrow(/exceeds/);
  });

  it('names status codes as received, and none it does not know', () => {
    for (const [name, code] of Object.entries(STATUS)) expect(statusName(code)).toBe(name);
    expect(statusName(99)).toBeUndefined();
  });
});
