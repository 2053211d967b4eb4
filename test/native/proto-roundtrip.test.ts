/**
 * C and TypeScript read and write the host socket protocol identically. The C test program
 * (test/native/c/proto_roundtrip.c) uses the shared client's own encoder and decoders
 * (packages/proto/c); the TypeScript side is the real codec. Covered: every op's response
 * shape and every status, generated from the schema; thousands of mangled frames (cut short,
 * bytes flipped, bytes added), where both sides must give the same verdict and, when they
 * accept, the same values; the requests C encodes, byte for byte; and the name rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRequest, decodeResponse, encodeRequest, encodeResponse, isValidDomain, isValidName, OPS, RECORDS,
  STATUS, TASK_OPS, type FieldType, type Msg, type OpDef, type RecordName, type StatusCode, type Value,
} from '@ward/proto';
import { FrameReader, frame } from '@ward/proto/node';
import { CLIENT_SOURCES, compileTestProgram, run, tempDir } from './helpers.js';

const ALL_OPS: Record<string, OpDef> = { ...OPS, ...TASK_OPS };

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'alice', 'alice@example.com', 'Ålice Ünïcode ✓', 'emoji 😀 𝄞', '\uFEFFbom first', 'quote " and \\',
  'tab\tand\nnewline', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl key', 'x'.repeat(3000)];
const NUMBERS = [0, 1, 999, 1000, 65534, 65536, 524287, 2147483647, 2147483648, 4294967295];

function sample(type: FieldType, rand: () => number): Value {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const many = <T>(max: number, f: () => T): T[] => Array.from({ length: Math.floor(rand() * (max + 1)) }, f);
  if (type === 'u32') return rand() < 0.5 ? pick(NUMBERS) : Math.floor(rand() * 4294967296);
  if (type === 'str') return pick(STRINGS);
  if (type === 'strs') return many(5, () => pick(STRINGS));
  if (type === 'u32s') return many(6, () => sample('u32', rand) as number);
  if (type.endsWith('[]')) return many(4, () => sample(type.slice(0, -2) as RecordName, rand) as Msg);
  const rec: Msg = {};
  for (const [name, t] of RECORDS[type as RecordName]) rec[name] = sample(t, rand);
  return rec;
}

/** A decoded value in wire order, records as arrays: what the C program prints. */
function positional(type: FieldType, v: Value): unknown {
  if (type === 'u32' || type === 'str' || type === 'strs' || type === 'u32s') return v;
  if (type.endsWith('[]')) return (v as Msg[]).map((x) => positional(type.slice(0, -2) as RecordName, x));
  return RECORDS[type as RecordName].map(([name, t]) => positional(t, (v as Msg)[name]!));
}

function expectedOf(op: string, payload: Uint8Array): unknown {
  let decoded;
  try {
    decoded = decodeResponse(op, payload);
  } catch {
    return 'ERROR';
  }
  if (decoded.status !== STATUS.OK) return [decoded.status, decoded.message];
  return [decoded.status, ...ALL_OPS[op]!.response.map(([name, t]) => positional(t, decoded.msg[name]!))];
}

function mangle(payload: Uint8Array, rand: () => number): Uint8Array {
  const b = Buffer.from(payload);
  const at = Math.floor(rand() * Math.max(b.length, 1));
  switch (Math.floor(rand() * 5)) {
    case 0:
      return b.subarray(0, at); // cut short
    case 1:
      if (b.length) b[at] = Math.floor(rand() * 256); // any byte
      return b;
    case 2:
      if (b.length) b[at] = [0x00, 0xff, 0xc0, 0xed, 0x80, 0xf4][Math.floor(rand() * 6)]!; // UTF-8 and NUL traps
      return b;
    case 3:
      return Buffer.concat([b, Buffer.from([Math.floor(rand() * 256)])]); // a byte too many
    default: {
      // A count or length field (any aligned u32) set to something the rest cannot hold.
      const pos = Math.min(at & ~3, b.length - 4);
      if (pos >= 0) b.writeUInt32BE([0xffffffff, 65537, 65536, b.length][Math.floor(rand() * 4)]!, pos);
      return b;
    }
  }
}

let scratch: ReturnType<typeof tempDir>;
let program: string;

beforeAll(() => {
  scratch = tempDir('ward-proto-');
  program = compileTestProgram(scratch.dir, 'proto_roundtrip', CLIENT_SOURCES);
});
afterAll(() => scratch?.cleanup());

async function decodeInC(cases: Array<{ op: string; payload: Uint8Array }>): Promise<unknown[]> {
  const input = Buffer.concat(cases.map(({ op, payload }) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(ALL_OPS[op]!.code, 0);
    head.writeUInt32BE(payload.length, 4);
    return Buffer.concat([head, payload]);
  }));
  const res = await run(program, ['decode'], { input });
  expect(res.code, res.stderr).toBe(0);
  const lines = res.stdout.split('\n').slice(0, -1);
  expect(lines).toHaveLength(cases.length);
  return lines.map((l) => (l === 'ERROR' ? 'ERROR' : JSON.parse(l)));
}

describe('responses encoded by TypeScript, decoded by the C client', () => {
  it('agree for every op, every response shape and every status', async () => {
    const rand = prng(1);
    const cases: Array<{ op: string; payload: Uint8Array }> = [];
    for (const [op, def] of Object.entries(ALL_OPS)) {
      for (let i = 0; i < 8; i++) {
        const msg: Msg = {};
        for (const [name, t] of def.response) msg[name] = sample(t, rand);
        cases.push({ op, payload: encodeResponse(op, STATUS.OK, msg) });
      }
      for (const status of Object.values(STATUS)) {
        if (status !== STATUS.OK) cases.push({ op, payload: encodeResponse(op, status as StatusCode, `status ${status} ✓`) });
      }
    }
    // A page as big as the daemon sends, and a group with many members.
    const entries = Array.from({ length: 256 }, (_, i) => ({ name: `user${i}`, uid: 70000 + i, gid: 70000 + i,
      gecos: `User ${i}`, dir: `/home/user${i}`, shell: '/bin/bash' }));
    cases.push({ op: 'PW_ENUM', payload: encodeResponse('PW_ENUM', STATUS.OK, { entries }) });
    const members = Array.from({ length: 5000 }, (_, i) => `member${i}`);
    cases.push({ op: 'GR_BY_NAME', payload: encodeResponse('GR_BY_NAME', STATUS.OK, { entry: { name: 'big', gid: 80000, members } }) });

    const got = await decodeInC(cases);
    cases.forEach(({ op, payload }, i) => {
      const want = expectedOf(op, payload);
      expect(want).not.toBe('ERROR');
      expect(got[i], `${op} case ${i}`).toEqual(want);
    });
  });

  it('agree on every mangled frame: both refuse, or both read the same values', async () => {
    const rand = prng(2);
    const cases: Array<{ op: string; payload: Uint8Array }> = [];
    for (const [op, def] of Object.entries(ALL_OPS)) {
      for (let i = 0; i < 40; i++) {
        const msg: Msg = {};
        for (const [name, t] of def.response) msg[name] = sample(t, rand);
        const status = rand() < 0.8 ? STATUS.OK : STATUS.NOT_FOUND;
        const payload = status === STATUS.OK ? encodeResponse(op, status, msg) : encodeResponse(op, status, 'gone');
        for (let m = 0; m < 8; m++) cases.push({ op, payload: mangle(payload, rand) });
      }
    }
    const got = await decodeInC(cases);
    let refused = 0;
    cases.forEach(({ op, payload }, i) => {
      const want = expectedOf(op, payload);
      if (want === 'ERROR') refused++;
      expect(got[i], `${op} mangled case ${i}: ${Buffer.from(payload).toString('hex').slice(0, 200)}`).toEqual(want);
    });
    // The mangling must actually exercise both verdicts.
    expect(refused).toBeGreaterThan(cases.length / 4);
    expect(refused).toBeLessThan(cases.length);
  });
});

describe('requests encoded by the C client', () => {
  it('are byte for byte what the TypeScript codec encodes, and decode to the same messages', async () => {
    const expected: Array<[string, Msg]> = [
      ['PW_BY_NAME', { name: 'alice' }],
      ['PW_BY_UID', { uid: 70001 }],
      ['PW_ENUM', { offset: 256 }],
      ['GR_BY_NAME', { name: 'devs@example.com' }],
      ['GR_BY_GID', { gid: 4294967295 }],
      ['GR_ENUM', { offset: 0 }],
      ['INITGROUPS', { name: 'alice' }],
      ['SSH_KEYS', { name: '' }],
      ['STATUS', {}],
      ['PAM_AUTH', { name: 'alice', password: 'pässwort ✓' }],
      ['PAM_CHAUTHTOK', { name: 'alice', old_password: 'old', new_password: 'new' }],
      ['CACHE_CLEAR', {}],
    ];
    const res = await run(program, ['encode']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('refusals ok');
    const bytes = res.stdoutBytes;
    expect(bytes.equals(Buffer.concat(expected.map(([op, msg]) => frame(encodeRequest(op, msg)))))).toBe(true);
    const frames = new FrameReader(8192).push(bytes);
    expect(frames.map((f) => { const r = decodeRequest(f); return [r.op, r.msg]; })).toEqual(expected);
  });
});

describe('the name rule', () => {
  const tsRule = (s: string): boolean => {
    const at = s.indexOf('@');
    return at < 0 ? isValidName(s) : isValidName(s.slice(0, at)) && isValidDomain(s.slice(at + 1));
  };

  it('is the same in C (ward_name_valid) as in names.ts, short names and name@domain', async () => {
    const label63 = 'a'.repeat(63);
    const corpus = [
      'alice', 'a', 'a1', 'a_b-c.d', 'x'.repeat(64), 'x'.repeat(65), 'alice@example.com', 'bob@a.b.c', 'a@a', 'a@1a.com',
      'a@xn--80ak6aa92e.com', '', 'A', 'Alice', 'alice!', '1alice', '_a', '-a', '.a', 'a..b', 'a.', 'alice@', '@x.com',
      'a@-x.com', 'a@x-.com', 'a@x..com', 'a@.x', 'a@x.', 'a@X.com', 'a@b@c.com', 'a b', 'ä', 'root', 'nobody',
      `a@${label63}.com`, `a@${label63}a.com`, `a@${[label63, label63, label63, 'a'.repeat(61)].join('.')}`,
      `a@${[label63, label63, label63, 'a'.repeat(62)].join('.')}`, 'a:b', 'a/b', 'a,b', 'a\tb', '..', '.',
    ];
    const rand = prng(3);
    const alphabet = 'ab.-_@1Az:';
    for (let i = 0; i < 3000; i++) {
      corpus.push(Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    }
    const res = await run(program, ['names'], { input: corpus.join('\n') + '\n' });
    expect(res.code, res.stderr).toBe(0);
    const got = res.stdout.split('\n').slice(0, -1).map((l) => l === '1');
    expect(got).toHaveLength(corpus.length);
    corpus.forEach((name, i) => expect(got[i], JSON.stringify(name)).toBe(tsRule(name)));
    expect(got.filter(Boolean).length).toBeGreaterThan(100);
  });
});
