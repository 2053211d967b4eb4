/**
 * The NSS map writer on a real SQLite cache and real passwd/group files: what the file holds
 * (rendered as the socket renders, local entries left out, nothing getent would not show), its
 * mode, the replaced flag on the file it replaces, and the path the C module looks at.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import {
  MAP_DEFAULT_PATH, MAP_FLAG_REPLACED, MAP_RECORDS, decodeFields, decodeMapHeader, type UnixAccount, type UnixGroup,
} from '@ward/proto';
import { CacheStore } from '../cache/store.js';
import { parseConfig } from '../config/load.js';
import { LocalFiles } from '../local/etc-files.js';
import { Logger } from '../log.js';
import { MapPublisher, mapPathOf } from './publisher.js';

const quiet = new Logger('error', { write: () => true });
const dir = mkdtempSync(path.join(tmpdir(), 'ward-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function account(name: string, uid: number, groups: Array<[string, number]> = []): UnixAccount {
  return {
    uuid: `00000000-0000-4000-8000-${String(uid).padStart(12, '0')}`, name, spn: `${name}@ward.test`, displayname: `${name} X`,
    uidnumber: uid, gidnumber: uid, shell: '', sshkeys: [`ssh-ed25519 AAAAKEYOF${name}`], locked: false, expire_at: null,
    groups: [[name, uid] as [string, number], ...groups].map(([n, g]) => ({ name: n, spn: `${n}@ward.test`, gidnumber: g })),
  };
}

function group(name: string, gid: number, members: string[]): UnixGroup {
  return { uuid: `00000000-0000-4000-9000-${String(gid).padStart(12, '0')}`, name, spn: `${name}@ward.test`, gidnumber: gid, members };
}

/** Every record in enumeration order, decoded with the format's own definition. */
function entries(file: string) {
  const b = readFileSync(file);
  const h = decodeMapHeader(b);
  const at = (kind: 'passwd' | 'group', order: number, i: number) => {
    const off = b.readUInt32LE(order + 4 * i);
    return decodeFields(MAP_RECORDS[kind], b.subarray(off + 4, off + 4 + b.readUInt32LE(off)));
  };
  return {
    h,
    bytes: b,
    passwd: Array.from({ length: h.pw_count! }, (_, i) => at('passwd', h.pw_order_off!, i)),
    group: Array.from({ length: h.gr_count! }, (_, i) => at('group', h.gr_order_off!, i)),
  };
}

test('the default path is nss.map beside the default socket, where the NSS module looks', () => {
  const cfg = parseConfig('idp_url = "https://idm.example.com"\n');
  expect(mapPathOf(cfg)).toBe(MAP_DEFAULT_PATH);
  expect(mapPathOf({ ...cfg, socket: '/srv/w/sock' })).toBe('/srv/w/nss.map');
  expect(mapPathOf({ ...cfg, nss_map: '/x/m' })).toBe('/x/m');
});

test('holds what the socket answers, and marks the file it replaces', async () => {
  const db = path.join(dir, 'cache.db');
  const passwd = path.join(dir, 'passwd');
  const groupFile = path.join(dir, 'group');
  writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n');
  writeFileSync(groupFile, 'root:x:0:\nlocal:x:72100:\n');
  const store = CacheStore.open(db, quiet);
  store.putAccount(account('alice', 72001, [['devs', 72101], ['shadow', 72100]]), Date.now());
  store.putAccount(account('bob', 72002), Date.now()); // a local bob hides it
  store.putGroup(group('devs', 72101, ['alice', 'bob']), Date.now());
  store.putGroup(group('shadow', 72100, ['alice']), Date.now()); // a local gid hides it
  store.setPasswordHash('00000000-0000-4000-8000-000000072001', '$argon2id$SECRETHASH');
  const cfg = { ...parseConfig('idp_url = "https://idm.example.com"\nname_format = "spn"\n'), nss_map: path.join(dir, 'nss.map') };
  const pub = new MapPublisher({ path: cfg.nss_map, cacheDb: db, local: new LocalFiles(passwd, groupFile, quiet), cfg, log: quiet });
  pub.start();
  try {
    await pub.settle();
    const first = entries(cfg.nss_map);
    expect(statSync(cfg.nss_map).mode & 0o777).toBe(0o644);
    expect(first.passwd).toEqual([{
      name: 'alice@ward.test', uid: 72001, gid: 72001, gecos: 'alice X', dir: '/home/alice', shell: '/bin/bash',
      alt: 'alice', gids: [72001, 72101],
    }]);
    expect(first.group).toEqual([
      { name: 'alice@ward.test', gid: 72001, members: ['alice@ward.test'], alt: 'alice' },
      // bob's private group stays (no local group clashes with it); the local bob leaves devs.
      { name: 'bob@ward.test', gid: 72002, members: [], alt: 'bob' },
      { name: 'devs@ward.test', gid: 72101, members: ['alice@ward.test'], alt: 'devs' },
    ]);
    for (const secret of ['SECRETHASH', 'AAAAKEYOF']) expect(first.bytes.includes(secret)).toBe(false);

    const old = openSync(cfg.nss_map, 'r');
    store.putGroup(group('ops', 72102, ['alice']), Date.now());
    await pub.settle();
    const flags = Buffer.alloc(4);
    readSync(old, flags, 0, 4, 8);
    closeSync(old);
    expect(flags.readUInt32LE() & MAP_FLAG_REPLACED).toBe(MAP_FLAG_REPLACED);
    const second = entries(cfg.nss_map);
    expect(second.h.generation!).toBeGreaterThan(first.h.generation!);
    expect(second.h.flags).toBe(0);
    expect(second.group.map((g) => g['alt'])).toEqual(['alice', 'bob', 'devs', 'ops']);
  } finally {
    await pub.stop();
    store.close();
  }
  // A stopped daemon's file is marked, so readers go back to the socket.
  expect(decodeMapHeader(readFileSync(cfg.nss_map)).flags).toBe(MAP_FLAG_REPLACED);
});
