/** The host's own passwd/group files: parsing, and rereading when they change. */
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Logger } from '../log.js';
import { LocalFiles, parseIdFile } from './etc-files.js';

const quiet = new Logger('error', { write: () => true });

test('parses names and numbers, skipping comments, NIS lines and broken lines', () => {
  const set = parseIdFile('root:x:0:0:root:/root:/bin/bash\n# comment\n+nis::::::\n-bad::::::\nbroken:x:abc:1\n\nalice:x:1000:1000::/home/alice:/bin/sh\nshort:x');
  expect([...set.names]).toEqual(['root', 'alice']);
  expect([...set.ids]).toEqual([0, 1000]);
});

const dir = mkdtempSync(path.join(tmpdir(), 'ward-unixd-etc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('rereads a file replaced by rename (as useradd does) and copes with a missing one', async () => {
  const passwd = path.join(dir, 'passwd');
  const group = path.join(dir, 'group');
  writeFileSync(passwd, 'root:x:0:0::/:/bin/sh\n');
  const files = new LocalFiles(passwd, group, quiet);
  expect(files.users().names.has('root')).toBe(true);
  expect(files.groups().names.size).toBe(0);
  const gen = files.generation;

  writeFileSync(`${passwd}.new`, 'root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  renameSync(`${passwd}.new`, passwd);
  writeFileSync(group, 'devs:x:1001:alice\n');
  await new Promise((r) => setTimeout(r, 1100));
  expect(files.users().names.has('alice')).toBe(true);
  expect(files.users().ids.has(1000)).toBe(true);
  expect(files.groups().ids.has(1001)).toBe(true);
  expect(files.generation).not.toBe(gen);
});
