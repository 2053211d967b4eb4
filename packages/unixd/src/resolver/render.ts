/**
 * Turns cached IdP entries into what a Unix host sees: passwd and group records (the socket
 * protocol's RECORDS), the user's private group, and home directory paths. Pure functions of the
 * entry and the configuration, so every op and the tasks daemon derive the same answer.
 */
import type { UnixAccount, UnixGroup } from '@ward/proto';
import type { UnixdConfig } from '../config/keys.js';

export interface PasswdRecord {
  [field: string]: string | number;
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  dir: string;
  shell: string;
}

export interface GroupRecord {
  [field: string]: string | number | string[];
  name: string;
  gid: number;
  members: string[];
}

export type RenderConfig = Pick<UnixdConfig, 'name_format' | 'default_shell' | 'home_prefix' | 'home_by' | 'home_alias'>;

function domainOf(spn: string): string {
  return spn.slice(spn.indexOf('@') + 1);
}

export function displayName(entry: { name: string; spn: string }, cfg: Pick<RenderConfig, 'name_format'>): string {
  return cfg.name_format === 'spn' ? entry.spn : entry.name;
}

export interface HomePaths {
  /** The directory created on first login. */
  real: string;
  /** Symlinks to it (home_alias); empty when none or when the alias is the real path. */
  aliases: string[];
  /** What passwd shows: the alias when there is one, so users see a readable path. */
  dir: string;
}

export function homeOf(a: Pick<UnixAccount, 'uuid' | 'name' | 'spn'>, cfg: RenderConfig): HomePaths {
  const real = cfg.home_prefix + (cfg.home_by === 'uuid' ? a.uuid : a.name);
  const alias = cfg.home_alias === 'none' ? undefined : cfg.home_prefix + (cfg.home_alias === 'spn' ? a.spn : a.name);
  const aliases = alias && alias !== real ? [alias] : [];
  return { real, aliases, dir: aliases[0] ?? real };
}

export function passwdOf(a: Pick<UnixAccount, 'uuid' | 'name' | 'spn' | 'uidnumber' | 'gidnumber' | 'displayname' | 'shell'>, cfg: RenderConfig): PasswdRecord {
  return {
    name: displayName(a, cfg),
    uid: a.uidnumber,
    gid: a.gidnumber,
    gecos: a.displayname,
    dir: homeOf(a, cfg).dir,
    shell: a.shell || cfg.default_shell,
  };
}

export function groupOf(g: UnixGroup, cfg: RenderConfig): GroupRecord {
  const domain = domainOf(g.spn);
  return {
    name: displayName(g, cfg),
    gid: g.gidnumber,
    members: cfg.name_format === 'spn' ? g.members.map((m) => `${m}@${domain}`) : [...g.members],
  };
}

/**
 * An account's own primary group (same name, gid = its gidnumber), which the IdP keeps implicit:
 * accounts and groups share one namespace there, so it never clashes with a real group. It is
 * the account's first group when that group carries the account's name and gidnumber, or, when
 * the IdP lists no such group, implied by gidnumber = uidnumber. The resolver uses it only when
 * no real group has that gid.
 */
export function privateGroupOf(a: UnixAccount): UnixGroup | undefined {
  const first = a.groups[0];
  const named = first && first.gidnumber === a.gidnumber && first.name === a.name;
  if (!named && a.gidnumber !== a.uidnumber) return undefined;
  return { uuid: a.uuid, name: a.name, spn: a.spn, gidnumber: a.gidnumber, members: [a.name] };
}
