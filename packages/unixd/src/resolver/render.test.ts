/** passwd/group rendering and home paths, for each name_format / home_by / home_alias. */
import { expect, test } from 'vitest';
import type { UnixAccount } from '@ward/proto';
import { groupOf, homeOf, passwdOf, privateGroupOf, type RenderConfig } from './render.js';

const alice: UnixAccount = {
  uuid: '0b6d2c1e-3f4a-4b5c-8d9e-0f1a2b3c4d5e', name: 'alice', spn: 'alice@ward.test', displayname: 'Alice',
  uidnumber: 65536, gidnumber: 65536, shell: '', groups: [{ name: 'alice', spn: 'alice@ward.test', gidnumber: 65536 }],
  sshkeys: [], locked: false, expire_at: null,
};
const cfg: RenderConfig = { name_format: 'short', default_shell: '/bin/bash', home_prefix: '/home/', home_by: 'name', home_alias: 'none' };

test('passwd entry with defaults', () => {
  expect(passwdOf(alice, cfg)).toEqual({ name: 'alice', uid: 65536, gid: 65536, gecos: 'Alice', dir: '/home/alice', shell: '/bin/bash' });
  expect(passwdOf({ ...alice, shell: '/bin/zsh' }, { ...cfg, name_format: 'spn' })).toMatchObject({ name: 'alice@ward.test', shell: '/bin/zsh' });
});

test('home paths: the alias is what passwd shows, the real directory is by uuid or name', () => {
  expect(homeOf(alice, { ...cfg, home_by: 'uuid', home_alias: 'spn' })).toEqual({
    real: `/home/${alice.uuid}`, aliases: ['/home/alice@ward.test'], dir: '/home/alice@ward.test',
  });
  expect(homeOf(alice, { ...cfg, home_by: 'uuid' })).toEqual({ real: `/home/${alice.uuid}`, aliases: [], dir: `/home/${alice.uuid}` });
  expect(homeOf(alice, { ...cfg, home_alias: 'name' })).toEqual({ real: '/home/alice', aliases: [], dir: '/home/alice' });
});

test('group members follow name_format; private groups come from the account', () => {
  const g = { uuid: alice.uuid, name: 'devs', spn: 'devs@ward.test', gidnumber: 65537, members: ['alice'] };
  expect(groupOf(g, { ...cfg, name_format: 'spn' })).toEqual({ name: 'devs@ward.test', gid: 65537, members: ['alice@ward.test'] });
  expect(privateGroupOf(alice)).toMatchObject({ name: 'alice', gidnumber: 65536, members: ['alice'] });
  expect(privateGroupOf({ ...alice, gidnumber: 65537, groups: [] })).toBeUndefined();
});
