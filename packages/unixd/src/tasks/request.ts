/**
 * Checks a HOME_CREATE request against the rules before anything on disk is looked at, and
 * turns it into a plan: which entry of home_prefix becomes the home directory and which become
 * alias symlinks. The request comes from ward-unixd, but this daemon runs as root and trusts
 * nothing in it:
 *
 *  - `name` is an account name (`alice`) or an SPN (`alice@example.com`), by proto's name rule,
 *    so it holds no `/` and no `..`.
 *  - `uid` and `gid` are in the POSIX ranges a directory account may use (never 0, never a
 *    system or reserved range).
 *  - `dir` is an absolute, normalized path directly inside home_prefix, and its last component
 *    is what `home_by` says: the short name, or a UUID.
 *  - every alias is an absolute path directly inside home_prefix, named as `home_alias` says
 *    (the short name, or `short@domain`), and there are none when `home_alias` is `none`.
 */
import path from 'node:path';
import { isValidDomain, nameProblem, posixIdProblem, type Msg } from '@ward/proto';
import { badRequest } from './refusal.js';
import type { TasksSettings } from './settings.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface HomePlan {
  /** The short account name (without a domain), for logs and the local-account check. */
  short: string;
  uid: number;
  gid: number;
  /** The home directory as the passwd entry and the symlinks name it. */
  dir: string;
  /** Its last component: the entry of home_prefix to create. */
  base: string;
  /** Alias entries of home_prefix, each to become a symlink to `dir`. */
  aliases: string[];
}

/** `alice` or `alice@example.com` -> its parts; refuses anything else. */
function splitName(name: string): { short: string; domain: string | undefined } {
  const at = name.indexOf('@');
  const short = at < 0 ? name : name.slice(0, at);
  const domain = at < 0 ? undefined : name.slice(at + 1);
  const problem = nameProblem(short);
  if (problem) throw badRequest(`refused name ${JSON.stringify(name)}: ${problem}`);
  if (domain !== undefined && !isValidDomain(domain)) {
    throw badRequest(`refused name ${JSON.stringify(name)}: "${domain}" is not a valid domain`);
  }
  return { short, domain };
}

/** The entry of home_prefix that `p` names; refuses any other place. */
function entryInPrefix(p: string, prefix: string, what: string): string {
  if (!path.posix.isAbsolute(p) || path.posix.normalize(p) !== p || p.endsWith('/')) {
    throw badRequest(`refused ${what} ${JSON.stringify(p)}: not an absolute, normalized path`);
  }
  if (path.posix.dirname(p) + '/' !== prefix) {
    throw badRequest(`refused ${what} ${JSON.stringify(p)}: not directly inside home_prefix ${prefix}`);
  }
  return path.posix.basename(p);
}

export function planHome(msg: Msg, settings: TasksSettings): HomePlan {
  const name = msg['name'] as string;
  const uid = msg['uid'] as number;
  const gid = msg['gid'] as number;
  const dir = msg['dir'] as string;
  const aliasPaths = msg['aliases'] as string[];

  const { short, domain } = splitName(name);
  const uidProblem = posixIdProblem(uid);
  if (uidProblem) throw badRequest(`refused uid for ${short}: ${uidProblem}`);
  const gidProblem = posixIdProblem(gid);
  if (gidProblem) throw badRequest(`refused gid for ${short}: ${gidProblem}`);

  const base = entryInPrefix(dir, settings.homePrefix, 'home directory');
  if (settings.homeBy === 'name' && base !== short) {
    throw badRequest(`refused home directory ${dir}: with home_by = "name" it must be ${settings.homePrefix}${short}`);
  }
  if (settings.homeBy === 'uuid' && !UUID_RE.test(base)) {
    throw badRequest(`refused home directory ${dir}: with home_by = "uuid" its last component must be a UUID`);
  }

  if (aliasPaths.length > 0 && settings.homeAlias === 'none') {
    throw badRequest(`refused aliases for ${short}: home_alias is "none"`);
  }
  if (aliasPaths.length > 1) throw badRequest(`refused aliases for ${short}: at most one alias is made`);
  const aliases: string[] = [];
  for (const alias of aliasPaths) {
    const aliasBase = entryInPrefix(alias, settings.homePrefix, 'alias');
    if (aliasBase === base) throw badRequest(`refused alias ${alias}: it is the home directory itself`);
    if (settings.homeAlias === 'name' && aliasBase !== short) {
      throw badRequest(`refused alias ${alias}: with home_alias = "name" it must be ${settings.homePrefix}${short}`);
    }
    if (settings.homeAlias === 'spn') {
      const parts = splitName(aliasBase);
      if (parts.short !== short || parts.domain === undefined || (domain !== undefined && parts.domain !== domain)) {
        throw badRequest(`refused alias ${alias}: with home_alias = "spn" it must be ${settings.homePrefix}${short}@<domain>`);
      }
    }
    aliases.push(aliasBase);
  }
  return { short, uid, gid, dir, base, aliases };
}
