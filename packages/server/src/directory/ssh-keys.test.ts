import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorCode, openTestDirectory, type TestDirectory } from './test-support.js';

let keyDir: string;
let keyA: string;
let keyB: string;
beforeAll(() => {
  keyDir = mkdtempSync(join(tmpdir(), 'ward-keys-'));
  for (const [name, type] of [['a', 'ed25519'], ['b', 'ecdsa']] as const) {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@host`, '-f', join(keyDir, name)]);
  }
  keyA = readFileSync(join(keyDir, 'a.pub'), 'utf8').trim();
  keyB = readFileSync(join(keyDir, 'b.pub'), 'utf8').trim();
});
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

let t: TestDirectory;
beforeEach(() => {
  t = openTestDirectory();
  t.newAccount('alice');
});
afterEach(() => t.cleanup());

describe('SSH keys of an account', () => {
  it('are added under a tag, listed re-serialized, and deleted', () => {
    const { key, changed } = t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', `  ${keyA}\n`);
    expect(changed).toBe(true);
    expect(key).toMatchObject({ tag: 'laptop', type: 'ssh-ed25519', key: keyA, comment: 'a@host', bits: 256 });
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    t.dir.addSshKey(t.admin, 'person', 'alice', 'desktop', keyB);
    expect(t.dir.listSshKeys(t.admin, 'person', 'alice').map((k) => k.tag)).toEqual(['desktop', 'laptop']);
    expect(t.dir.deleteSshKey(t.admin, 'person', 'alice', 'laptop')).toEqual({ changed: true });
    expect(t.dir.deleteSshKey(t.admin, 'person', 'alice', 'laptop')).toEqual({ changed: false });
    expect(t.dir.listSshKeys(t.admin, 'person', 'alice').map((k) => k.tag)).toEqual(['desktop']);
  });

  it('treat the same key under the same tag as a no-op, and refuse it twice otherwise', () => {
    t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', keyA);
    const same = t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', keyA.replace('a@host', 'other comment'));
    expect(same.changed).toBe(false);
    expect(same.key.comment).toBe('a@host');
    expect(errorCode(() => t.dir.addSshKey(t.admin, 'person', 'alice', 'other', keyA))).toBe('duplicate_ssh_key');
    expect(errorCode(() => t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', keyB))).toBe('duplicate_ssh_key');
    expect(t.dir.listSshKeys(t.admin, 'person', 'alice')).toHaveLength(1);
  });

  it('refuse bad tags and bad keys without storing anything', () => {
    for (const tag of ['', 'has space', '-lead', 'x'.repeat(65), 'tab\t']) {
      expect(errorCode(() => t.dir.addSshKey(t.admin, 'person', 'alice', tag, keyA)), tag).toBe('invalid_attribute');
    }
    expect(errorCode(() => t.dir.addSshKey(t.admin, 'person', 'alice', 'k', 'ssh-ed25519 AAAA'))).toBe('invalid_ssh_key');
    expect(errorCode(() => t.dir.addSshKey(t.admin, 'person', 'alice', 'k', `${keyA}\n${keyB}`))).toBe('invalid_ssh_key');
    expect(t.dir.listSshKeys(t.admin, 'person', 'alice')).toEqual([]);
  });

  it('work on service accounts, within the kind asked for', () => {
    t.newAccount('bot', 'service_account');
    t.dir.addSshKey(t.admin, 'service_account', 'bot', 'deploy', keyA);
    expect(t.dir.listSshKeys(t.admin, 'service_account', 'bot')).toHaveLength(1);
    expect(errorCode(() => t.dir.listSshKeys(t.admin, 'person', 'bot'))).toBe('not_found');
    // The same key may sit on another account (a person's key on the service account they run).
    expect(t.dir.addSshKey(t.admin, 'person', 'alice', 'laptop', keyA).changed).toBe(true);
  });
});
