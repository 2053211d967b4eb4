/**
 * The systemd units in systemd/: `systemd-analyze verify` accepts them without a single warning
 * (run on a copy whose ExecStart= commands point at stub executables, since the real ones live
 * in /usr/local/bin only once deploy/install-host.sh has run), and the hardening the host
 * relies on is really there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../packages/unixd/src/config/keys.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const UNIT_DIR = path.join(REPO, 'systemd');
const UNITS = ['wardd.service', 'ward-unixd.service', 'ward-unixd-tasks.service'];

type Unit = Record<string, Record<string, string[]>>;

/** systemd's unit syntax, enough for these files: sections, repeated keys, comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      section = m[1]!;
      unit[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    ((unit[section]![key] ??= [])).push(line.slice(eq + 1));
  }
  return unit;
}

function load(name: string): Unit {
  return parseUnit(fs.readFileSync(path.join(UNIT_DIR, name), 'utf8'));
}

/** The last value of a key (systemd's rule for single-valued settings). */
function value(u: Unit, key: string, section = 'Service'): string | undefined {
  return u[section]?.[key]?.at(-1);
}

function words(u: Unit, key: string, section = 'Service'): string[] {
  return (u[section]?.[key] ?? []).flatMap((v) => v.split(/\s+/).filter(Boolean));
}

function binsOf(pkg: string): string[] {
  return Object.keys(JSON.parse(fs.readFileSync(path.join(REPO, 'packages', pkg, 'package.json'), 'utf8')).bin);
}

describe('systemd units', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ward-units-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('pass systemd-analyze verify without any warning', () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    for (const name of UNITS) {
      const text = fs.readFileSync(path.join(UNIT_DIR, name), 'utf8');
      for (const m of text.matchAll(/^ExecStart=\/usr\/local\/bin\/(\S+)/gm)) {
        fs.writeFileSync(path.join(bin, m[1]!), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      }
      fs.writeFileSync(path.join(tmp, name), text.replaceAll('/usr/local/bin/', `${bin}/`));
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...UNITS.map((u) => `./${u}`)], { cwd: tmp, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('start the commands the packages ship, from /usr/local/bin, with the host config', () => {
    const exec = (u: string) => value(load(u), 'ExecStart')!;
    expect(exec('wardd.service')).toBe('/usr/local/bin/wardd server -c /etc/ward/server.toml');
    expect(exec('ward-unixd.service')).toBe('/usr/local/bin/ward-unixd -c /etc/ward/unixd.toml');
    expect(exec('ward-unixd-tasks.service')).toBe('/usr/local/bin/ward-unixd-tasks -c /etc/ward/unixd.toml');
    expect(binsOf('server')).toContain('wardd');
    expect(binsOf('unixd')).toEqual(expect.arrayContaining(['ward-unixd', 'ward-unixd-tasks']));
  });

  it('are hardened alike', () => {
    for (const name of UNITS) {
      const u = load(name);
      const where = `${name}: `;
      expect(where + value(u, 'NoNewPrivileges')).toBe(where + 'yes');
      expect(where + value(u, 'ProtectSystem')).toBe(where + 'strict');
      expect(['yes', 'read-only']).toContain(value(u, 'ProtectHome'));
      expect(where + value(u, 'PrivateTmp')).toBe(where + 'yes');
      expect(where + value(u, 'PrivateDevices')).toBe(where + 'yes');
      expect(where + value(u, 'RestrictSUIDSGID')).toBe(where + 'yes');
      expect(where + value(u, 'SystemCallArchitectures')).toBe(where + 'native');
      expect(words(u, 'SystemCallFilter')).toContain('@system-service');
      expect(u['Service']?.['CapabilityBoundingSet']).toBeDefined();
      expect(u['Service']?.['RestrictAddressFamilies']).toBeDefined();
      // Node's JIT needs W+X memory: this must never be switched on.
      expect(value(u, 'MemoryDenyWriteExecute')).toBeUndefined();
      expect(value(u, 'WantedBy', 'Install')).toBe('multi-user.target');
    }
  });

  it('run the resolver daemon as a dynamic user with no capabilities, in its own directories', () => {
    const u = load('ward-unixd.service');
    expect(value(u, 'DynamicUser')).toBe('yes');
    expect(value(u, 'User')).toBeUndefined();
    expect(words(u, 'CapabilityBoundingSet')).toEqual([]);
    expect(value(u, 'RuntimeDirectory')).toBe('ward-unixd');
    expect(value(u, 'CacheDirectory')).toBe('ward-unixd');
    expect(value(u, 'ProtectHome')).toBe('yes');
    // The config defaults put the sockets and the cache exactly where systemd makes them.
    for (const key of ['socket', 'priv_socket', 'tasks_socket'] as const) {
      expect(path.dirname(CONFIG_KEYS[key].default!)).toBe('/run/ward-unixd');
    }
    expect(path.dirname(CONFIG_KEYS.cache_db.default!)).toBe('/var/cache/ward-unixd');
  });

  it('give the root helper four capabilities, no network, and write access to /home and the socket directory only', () => {
    const u = load('ward-unixd-tasks.service');
    expect(value(u, 'DynamicUser')).toBeUndefined();
    expect(value(u, 'User')).toBeUndefined();
    expect(words(u, 'CapabilityBoundingSet').sort()).toEqual(['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER']);
    expect(words(u, 'AmbientCapabilities')).toEqual([]);
    expect(value(u, 'PrivateNetwork')).toBe('yes');
    expect(words(u, 'RestrictAddressFamilies')).toEqual(['AF_UNIX']);
    expect(words(u, 'ReadWritePaths').sort()).toEqual(['/home', '/run/ward-unixd']);
    expect(value(u, 'ProtectHome')).toBe('read-only');
    // Its socket lives in the daemon's RuntimeDirectory: it starts after the daemon and stops with it.
    for (const key of ['Requires', 'After', 'PartOf']) expect(value(u, key, 'Unit')).toBe('ward-unixd.service');
    expect(words(load('ward-unixd.service'), 'Wants', 'Unit')).toContain('ward-unixd-tasks.service');
  });

  it('run the IdP as a dynamic user with its state directory and only the bind capability', () => {
    const u = load('wardd.service');
    expect(value(u, 'DynamicUser')).toBe('yes');
    expect(value(u, 'StateDirectory')).toBe('ward');
    expect(words(u, 'CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(u['Service']?.['LoadCredential']).toEqual(['tls_chain:/etc/ward/tls/chain.pem', 'tls_key:/etc/ward/tls/key.pem']);
  });
});
