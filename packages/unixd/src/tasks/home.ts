/**
 * Creates a home directory for a planned request (see request.ts), or finds it already there.
 *
 * Everything is checked before anything is made: the local-account rule, home_prefix from `/`
 * down (safe-path.ts), the home entry and every alias entry with lstat. An entry that exists is
 * accepted only if it is exactly what this daemon would have made for the same uid (a directory,
 * or a symlink to `dir`, owned by that uid): that makes a repeated request a no-op and refuses
 * any path that belongs to someone else, without ever following a link.
 *
 * The home itself is built under a temporary name inside home_prefix (`.ward-new-<entry>`, a
 * name no account can have, since names start with a letter), owned by root and mode 0700 while
 * the skeleton is copied, so nobody can reach into it half-made; only then is it given to the
 * user and renamed into place. A build that fails before that is removed; a leftover from a
 * crash is still root's and is cleared by the next request for the same user.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATUS } from '@ward/proto';
import type { HomePlan } from './request.js';
import { denied, TaskRefusal } from './refusal.js';
import { lstatOrNull, secureDirectory } from './safe-path.js';
import { copySkel, type SkelCopy } from './skel.js';
import { localAccountClash } from './local-accounts.js';
import type { TasksSettings } from './settings.js';

export const HOME_MODE = 0o700;
const TEMP_PREFIX = '.ward-new-';

export interface HomeResult {
  /** One line for the caller and the log. */
  message: string;
  created: boolean;
  aliasesCreated: string[];
  skel?: SkelCopy;
}

/** Is the existing home entry acceptable (true), absent (false), or someone else's (throws)? */
function existingHome(p: string, plan: HomePlan): boolean {
  const st = lstatOrNull(p);
  if (!st) return false;
  if (st.isSymbolicLink()) throw denied(`${plan.dir} exists and is a symlink; refusing to follow it`);
  if (!st.isDirectory()) throw denied(`${plan.dir} exists and is not a directory`);
  if (st.uid !== plan.uid) throw denied(`${plan.dir} exists and belongs to uid ${st.uid}, not ${plan.uid}`);
  return true;
}

function existingAlias(p: string, plan: HomePlan): boolean {
  const st = lstatOrNull(p);
  if (!st) return false;
  if (!st.isSymbolicLink() || st.uid !== plan.uid || fs.readlinkSync(p) !== plan.dir) {
    throw denied(`${p} exists and is not a symlink of uid ${plan.uid} to ${plan.dir}`);
  }
  return true;
}

/** Clears a leftover build of an earlier request, if it is still root's (so nobody reached it). */
function clearLeftover(temp: string): void {
  const st = lstatOrNull(temp);
  if (!st) return;
  if (!st.isDirectory() || st.isSymbolicLink() || st.uid !== 0) {
    throw denied(`${temp} exists and was not left by this daemon; remove it by hand`);
  }
  fs.rmSync(temp, { recursive: true, force: true });
}

function buildHome(realPrefix: string, plan: HomePlan, skelDir: string): SkelCopy {
  const temp = path.join(realPrefix, TEMP_PREFIX + plan.base);
  const target = path.join(realPrefix, plan.base);
  clearLeftover(temp);
  fs.mkdirSync(temp, HOME_MODE);
  let skel: SkelCopy;
  try {
    fs.chmodSync(temp, HOME_MODE);
    skel = copySkel(skelDir, temp, plan);
  } catch (e) {
    // Still root's and 0700: nothing in it can have been touched by anyone else.
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  fs.lchownSync(temp, plan.uid, plan.gid);
  fs.chmodSync(temp, HOME_MODE);
  try {
    fs.renameSync(temp, target);
  } catch (e) {
    throw new TaskRefusal(STATUS.ERROR, `cannot move ${temp} to ${target}: ${(e as Error).message}`);
  }
  return skel;
}

export function createHome(plan: HomePlan, settings: TasksSettings): HomeResult {
  const clash = localAccountClash(settings.localPasswdFile, plan.short, plan.uid);
  if (clash) throw denied(`no home directory for a directory user that clashes with a local one: ${clash}`);

  const realPrefix = secureDirectory(settings.homePrefix, 'home_prefix');
  const homeExists = existingHome(path.join(realPrefix, plan.base), plan);
  const missingAliases = plan.aliases.filter((a) => !existingAlias(path.join(realPrefix, a), plan));

  const result: HomeResult = { message: '', created: false, aliasesCreated: [] };
  if (!homeExists) {
    result.skel = buildHome(realPrefix, plan, settings.skelDir);
    result.created = true;
  }
  for (const alias of missingAliases) {
    const p = path.join(realPrefix, alias);
    fs.symlinkSync(plan.dir, p);
    fs.lchownSync(p, plan.uid, plan.gid);
    result.aliasesCreated.push(path.posix.join(settings.homePrefix, alias));
  }
  const aliasNote = result.aliasesCreated.length ? `, alias ${result.aliasesCreated.join(', ')} -> ${plan.dir}` : '';
  result.message = `${result.created ? 'created' : 'found'} ${plan.dir} for ${plan.short} (uid ${plan.uid})${aliasNote}`;
  return result;
}
