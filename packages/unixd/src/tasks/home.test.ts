/**
 * Home-directory creation for real, as root, in a throwaway home_prefix: the files, owners and
 * modes a user finds on first login, idempotence, aliases, and every refusal (each one leaving
 * the disk as it was).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATUS, type Msg } from '@ward/proto';
import { createHome } from './home.js';
import { TaskRefusal } from './refusal.js';
import { planHome } from './request.js';
import type { TasksSettings } from './settings.js';

const UID = 70001;
const GID = 70001;
const UUID = '3f2a6c1e-9b7d-4e21-8c55-0a1b2c3d4e5f';

let tmp: string;
let prefix: string;
let settings: TasksSettings;

function run(msg: Partial<Msg>, s: TasksSettings = settings) {
  const full: Msg = { name: 'alice', uid: UID, gid: GID, dir: `${prefix}/alice`, aliases: [], ...msg };
  return createHome(planHome(full, s), s);
}

/** Runs a request that must be refused; returns the refusal. */
function refused(msg: Partial<Msg>, s: TasksSettings = settings): TaskRefusal {
  try {
    run(msg, s);
  } catch (e) {
    if (e instanceof TaskRefusal) return e;
    throw e;
  }
  throw new Error('the request was accepted');
}

/** Every entry under `dir` with type, owner and mode, to prove a refusal changed nothing. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    out.push(`${path.relative(tmp, p)} ${st.mode.toString(8)} ${st.uid}:${st.gid}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(path.join(p, n));
  };
  walk(dir);
  return out;
}

function modeOf(p: string): number {
  return fs.lstatSync(p).mode & 0o7777;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ward-tasks-'));
  fs.chmodSync(tmp, 0o755);
  prefix = path.join(tmp, 'home');
  fs.mkdirSync(prefix, 0o755);
  const skel = path.join(tmp, 'skel');
  fs.mkdirSync(path.join(skel, '.config', 'app'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(skel, '.bashrc'), '# bashrc from skel\n', { mode: 0o644 });
  fs.writeFileSync(path.join(skel, '.config', 'app', 'secret.conf'), 'x=1\n', { mode: 0o600 });
  fs.chmodSync(path.join(skel, '.config', 'app'), 0o750);
  fs.writeFileSync(path.join(skel, 'tool'), '#!/bin/sh\n');
  fs.chmodSync(path.join(skel, 'tool'), 0o4755);
  fs.symlinkSync('/etc/passwd', path.join(skel, 'passwd-link'));
  execFileSync('mkfifo', [path.join(skel, 'a-fifo')]);
  const passwd = path.join(tmp, 'passwd');
  fs.writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\nbob:x:70010:70010::/home/bob:/bin/sh\n');
  settings = { tasksSocket: path.join(tmp, 'tasks.sock'), homePrefix: prefix + '/', homeBy: 'name', homeAlias: 'none', localPasswdFile: passwd, skelDir: skel };
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('creating a home directory', () => {
  it('makes the directory 0700 for the user and copies the skeleton as theirs', () => {
    const result = run({});
    const home = path.join(prefix, 'alice');
    expect(result.created).toBe(true);
    expect(result.message).toBe(`created ${home} for alice (uid ${UID})`);
    const st = fs.lstatSync(home);
    expect(st.isDirectory()).toBe(true);
    expect([st.uid, st.gid, modeOf(home)]).toEqual([UID, GID, 0o700]);

    expect(fs.readFileSync(path.join(home, '.bashrc'), 'utf8')).toBe('# bashrc from skel\n');
    expect(modeOf(path.join(home, '.bashrc'))).toBe(0o644);
    expect(modeOf(path.join(home, '.config', 'app'))).toBe(0o750);
    expect(modeOf(path.join(home, '.config', 'app', 'secret.conf'))).toBe(0o600);
    // Set-id bits never travel from the skeleton.
    expect(modeOf(path.join(home, 'tool'))).toBe(0o755);
    // A symlink is copied as a link, not followed.
    expect(fs.lstatSync(path.join(home, 'passwd-link')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(home, 'passwd-link'))).toBe('/etc/passwd');
    // A FIFO is skipped.
    expect(fs.existsSync(path.join(home, 'a-fifo'))).toBe(false);
    for (const rel of ['.bashrc', '.config', '.config/app', '.config/app/secret.conf', 'tool', 'passwd-link']) {
      const s = fs.lstatSync(path.join(home, rel));
      expect(`${rel} ${s.uid}:${s.gid}`).toBe(`${rel} ${UID}:${GID}`);
    }
    // No temporary build directory is left behind.
    expect(fs.readdirSync(prefix)).toEqual(['alice']);
  });

  it('is idempotent: a second request finds the home and changes nothing in it', () => {
    run({});
    const home = path.join(prefix, 'alice');
    fs.writeFileSync(path.join(home, '.bashrc'), 'edited by alice\n');
    fs.chownSync(path.join(home, '.bashrc'), UID, GID);
    fs.chmodSync(home, 0o750);
    const before = snapshot(prefix);
    const again = run({});
    expect(again.created).toBe(false);
    expect(again.message).toBe(`found ${home} for alice (uid ${UID})`);
    expect(snapshot(prefix)).toEqual(before);
    expect(fs.readFileSync(path.join(home, '.bashrc'), 'utf8')).toBe('edited by alice\n');
  });

  it('gives an empty home when there is no skeleton directory', () => {
    run({}, { ...settings, skelDir: path.join(tmp, 'no-skel') });
    expect(fs.readdirSync(path.join(prefix, 'alice'))).toEqual([]);
  });

  it('makes a uuid home with a name alias, and an spn alias, as symlinks owned by the user', () => {
    const byUuid: TasksSettings = { ...settings, homeBy: 'uuid', homeAlias: 'name' };
    const dir = `${prefix}/${UUID}`;
    const result = run({ dir, aliases: [`${prefix}/alice`] }, byUuid);
    expect(result.aliasesCreated).toEqual([`${prefix}/alice`]);
    const link = path.join(prefix, 'alice');
    expect(fs.readlinkSync(link)).toBe(dir);
    expect(fs.lstatSync(link).uid).toBe(UID);
    expect(fs.lstatSync(dir).uid).toBe(UID);
    expect(run({ dir, aliases: [`${prefix}/alice`] }, byUuid).message).toBe(`found ${dir} for alice (uid ${UID})`);

    const spn: TasksSettings = { ...settings, homeAlias: 'spn' };
    run({ name: 'carol@example.com', uid: 70003, dir: `${prefix}/carol`, aliases: [`${prefix}/carol@example.com`] }, spn);
    expect(fs.readlinkSync(path.join(prefix, 'carol@example.com'))).toBe(`${prefix}/carol`);
    expect(fs.lstatSync(path.join(prefix, 'carol')).uid).toBe(70003);
  });

  it('clears a root-owned leftover of an interrupted build', () => {
    const leftover = path.join(prefix, '.ward-new-alice');
    fs.mkdirSync(leftover);
    fs.writeFileSync(path.join(leftover, 'half'), '');
    run({});
    expect(fs.readdirSync(prefix)).toEqual(['alice']);
    expect(fs.existsSync(path.join(prefix, 'alice', 'half'))).toBe(false);
  });
});

describe('refusals change nothing', () => {
  const cases: Array<[string, (prefix: string) => Partial<Msg>, number, RegExp, Partial<TasksSettings>?]> = [
    ['a path outside home_prefix', () => ({ dir: '/etc/alice' }), STATUS.BAD_REQUEST, /not directly inside home_prefix/],
    ['a path climbing out with ..', (p) => ({ dir: `${p}/../alice` }), STATUS.BAD_REQUEST, /not an absolute, normalized path/],
    ['a nested path', (p) => ({ dir: `${p}/x/alice` }), STATUS.BAD_REQUEST, /not directly inside home_prefix/],
    ['a relative path', () => ({ dir: 'home/alice' }), STATUS.BAD_REQUEST, /not an absolute, normalized path/],
    ['a home not named after the user', (p) => ({ dir: `${p}/bob` }), STATUS.BAD_REQUEST, /home_by = "name"/],
    ['a name with /', (p) => ({ name: 'al/ice', dir: `${p}/al/ice` }), STATUS.BAD_REQUEST, /refused name/],
    ['a name with ..', (p) => ({ name: 'a..b', dir: `${p}/a..b` }), STATUS.BAD_REQUEST, /must not contain/],
    ['a name that is ..', (p) => ({ name: '..', dir: `${p}/..` }), STATUS.BAD_REQUEST, /refused name/],
    ['an upper-case name', (p) => ({ name: 'Alice', dir: `${p}/Alice` }), STATUS.BAD_REQUEST, /refused name/],
    ['uid 0', () => ({ uid: 0 }), STATUS.BAD_REQUEST, /refused uid.*reserved/],
    ['gid 0', () => ({ gid: 0 }), STATUS.BAD_REQUEST, /refused gid.*reserved/],
    ['a system uid', () => ({ uid: 999 }), STATUS.BAD_REQUEST, /refused uid/],
    ['nobody\'s uid', () => ({ uid: 65534 }), STATUS.BAD_REQUEST, /refused uid/],
    ['a container-range gid', () => ({ gid: 600000 }), STATUS.BAD_REQUEST, /refused gid/],
    ['a local user\'s name', (p) => ({ name: 'bob', dir: `${p}/bob` }), STATUS.DENIED, /bob is a local user/],
    ['a local user\'s uid', () => ({ uid: 70010 }), STATUS.DENIED, /uid 70010 belongs to local user bob/],
    ['an alias when home_alias is none', (p) => ({ aliases: [`${p}/x`] }), STATUS.BAD_REQUEST, /home_alias is "none"/],
    ['an alias with another name', (p) => ({ dir: `${p}/${UUID}`, aliases: [`${p}/bob`] }), STATUS.BAD_REQUEST, /home_alias = "name"/, { homeAlias: 'name', homeBy: 'uuid' }],
    ['an alias outside home_prefix', () => ({ aliases: ['/etc/alice'] }), STATUS.BAD_REQUEST, /not directly inside/, { homeAlias: 'name' }],
    ['a uuid home that is no uuid', (p) => ({ dir: `${p}/alice` }), STATUS.BAD_REQUEST, /must be a UUID/, { homeBy: 'uuid' }],
  ];
  for (const [what, msg, status, message, over] of cases) {
    it(`refuses ${what}`, () => {
      const before = snapshot(tmp);
      const r = refused(msg(prefix), { ...settings, ...over });
      expect(r.status).toBe(status);
      expect(r.message).toMatch(message);
      expect(snapshot(tmp)).toEqual(before);
    });
  }

  it('refuses a home that exists and belongs to someone else', () => {
    fs.mkdirSync(path.join(prefix, 'alice'));
    fs.chownSync(path.join(prefix, 'alice'), 70002, 70002);
    const before = snapshot(tmp);
    const r = refused({});
    expect([r.status, r.message]).toEqual([STATUS.DENIED, `${prefix}/alice exists and belongs to uid 70002, not ${UID}`]);
    expect(snapshot(tmp)).toEqual(before);
  });

  it('refuses a symlink where the home should be, without following it', () => {
    const victim = path.join(tmp, 'victim');
    fs.mkdirSync(victim, 0o755);
    fs.symlinkSync(victim, path.join(prefix, 'alice'));
    fs.lchownSync(path.join(prefix, 'alice'), UID, GID);
    const before = snapshot(tmp);
    expect(refused({}).message).toMatch(/is a symlink; refusing to follow it/);
    expect(snapshot(tmp)).toEqual(before);
  });

  it('refuses a file where the home should be', () => {
    fs.writeFileSync(path.join(prefix, 'alice'), '');
    fs.chownSync(path.join(prefix, 'alice'), UID, GID);
    expect(refused({}).message).toMatch(/exists and is not a directory/);
  });

  it('refuses an alias path taken by something else', () => {
    fs.symlinkSync('/etc', path.join(prefix, 'alice'));
    const s: TasksSettings = { ...settings, homeBy: 'uuid', homeAlias: 'name' };
    const before = snapshot(tmp);
    const r = refused({ dir: `${prefix}/${UUID}`, aliases: [`${prefix}/alice`] }, s);
    expect(r.status).toBe(STATUS.DENIED);
    expect(r.message).toMatch(/is not a symlink of uid 70001/);
    // Checked before anything is made: the home was not created either.
    expect(snapshot(tmp)).toEqual(before);
  });

  it('refuses a home_prefix that others may write to', () => {
    fs.chmodSync(prefix, 0o777);
    const before = snapshot(tmp);
    expect(refused({}).message).toMatch(/is writable by group or others/);
    expect(snapshot(tmp)).toEqual(before);
  });

  it('refuses a home_prefix reached through a directory another user owns', () => {
    const owned = path.join(tmp, 'owned');
    fs.mkdirSync(path.join(owned, 'home'), { recursive: true });
    fs.chownSync(owned, UID, GID);
    const r = refused({ dir: `${owned}/home/alice` }, { ...settings, homePrefix: `${owned}/home/` });
    expect(r.message).toMatch(/is owned by uid 70001, not root/);
    expect(fs.readdirSync(path.join(owned, 'home'))).toEqual([]);
  });

  it('refuses a skeleton that others could change, and leaves no half-made home', () => {
    fs.chmodSync(path.join(settings.skelDir, '.config'), 0o777);
    const r = refused({});
    expect(r.status).toBe(STATUS.ERROR);
    expect(r.message).toMatch(/skeleton entry .*\.config.* writable by group or others/);
    expect(fs.readdirSync(prefix)).toEqual([]);
  });

  it('refuses a leftover build directory that is not its own', () => {
    const leftover = path.join(prefix, '.ward-new-alice');
    fs.mkdirSync(leftover);
    fs.chownSync(leftover, UID, GID);
    expect(refused({}).message).toMatch(/was not left by this daemon/);
    expect(fs.existsSync(path.join(prefix, 'alice'))).toBe(false);
  });
});
