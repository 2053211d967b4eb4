/**
 * SSH public keys of accounts, each under a tag. Keys are parsed and validated (sshkey.ts) and
 * stored parsed; output is re-serialized from the stored blob. Adding the same key under the same
 * tag again is a no-op; the same key under another tag, or another key under a used tag, is
 * `duplicate_ssh_key`. Deleting an absent tag is a no-op.
 */
import { SSH_TAG_RE, WardError, type SshKey } from '@ward/proto';
import { assertCanChangeAccount, rightsOf, targetFor, writeRightsOf } from './access.js';
import type { DirectoryCore } from './core.js';
import { parseSshPublicKey, renderSshKey } from './sshkey.js';
import type { AccountKind, Actor } from './types.js';

/** Keys one account may hold: bounds the unix view and authorized_keys output. */
export const SSH_KEYS_PER_ACCOUNT = 64;

interface SshKeyRow {
  tag: string;
  type: string;
  blob: Buffer;
  comment: string;
  fingerprint: string;
  bits: number;
}

function keyView(row: SshKeyRow): SshKey {
  return {
    tag: row.tag,
    type: row.type,
    key: renderSshKey(row),
    fingerprint: row.fingerprint,
    comment: row.comment,
    bits: row.bits,
  };
}

function checkTag(tag: unknown): string {
  if (typeof tag !== 'string' || !SSH_TAG_RE.test(tag)) {
    throw new WardError(
      'invalid_attribute',
      'an SSH key tag must be 1-64 characters: letters, digits, "_", ".", "@", "-", starting with a letter or digit',
    );
  }
  return tag;
}

function keysOf(core: DirectoryCore, uuid: string): SshKeyRow[] {
  return core
    .stmt('SELECT tag, type, blob, comment, fingerprint, bits FROM ssh_keys WHERE account_uuid = ? ORDER BY tag')
    .all(uuid) as SshKeyRow[];
}

export function listSshKeys(core: DirectoryCore, actor: Actor, kind: AccountKind, ref: string): SshKey[] {
  const rights = rightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  return keysOf(core, target.uuid).map(keyView);
}

export function addSshKey(
  core: DirectoryCore,
  actor: Actor,
  kind: AccountKind,
  ref: string,
  tag: string,
  key: string,
): { key: SshKey; changed: boolean } {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  assertCanChangeAccount(core, rights, target, 'ssh_keys');
  const validTag = checkTag(tag);
  const parsed = parseSshPublicKey(key);
  return core.write(() => {
    core.reread(target.uuid);
    const existing = keysOf(core, target.uuid);
    const sameTag = existing.find((k) => k.tag === validTag);
    if (sameTag) {
      if (sameTag.fingerprint === parsed.fingerprint) return { key: keyView(sameTag), changed: false };
      throw new WardError('duplicate_ssh_key', `the tag "${validTag}" already holds another key; delete it first or use another tag`);
    }
    const sameKey = existing.find((k) => k.fingerprint === parsed.fingerprint);
    if (sameKey) {
      throw new WardError('duplicate_ssh_key', `this key (${parsed.fingerprint}) is already present under the tag "${sameKey.tag}"`);
    }
    if (existing.length >= SSH_KEYS_PER_ACCOUNT) {
      throw new WardError('conflict', `an account may hold at most ${SSH_KEYS_PER_ACCOUNT} SSH keys`);
    }
    const row: SshKeyRow = { tag: validTag, ...parsed };
    core
      .stmt(
        'INSERT INTO ssh_keys (account_uuid, tag, type, blob, comment, fingerprint, bits, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(target.uuid, row.tag, row.type, row.blob, row.comment, row.fingerprint, row.bits, core.now());
    core.changed('data');
    return { key: keyView(row), changed: true };
  });
}

export function deleteSshKey(core: DirectoryCore, actor: Actor, kind: AccountKind, ref: string, tag: string): { changed: boolean } {
  const rights = writeRightsOf(core, actor);
  const target = targetFor(core, rights, ref, [kind]);
  assertCanChangeAccount(core, rights, target, 'ssh_keys');
  const validTag = checkTag(tag);
  return core.write(() => {
    const changes = core.stmt('DELETE FROM ssh_keys WHERE account_uuid = ? AND tag = ?').run(target.uuid, validTag).changes;
    if (changes > 0) core.changed('data');
    return { changed: changes > 0 };
  });
}
