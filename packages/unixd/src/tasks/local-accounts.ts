/**
 * Local accounts always win (the rule ward-unixd applies to lookups), and the root daemon checks
 * it again for itself: no directory home is ever made for a name or uid that the local passwd
 * file already holds, so a directory entry can never take over a local user's home. The file is
 * read directly, never through NSS, and on every request (it is small and may change).
 */
import fs from 'node:fs';
import { TaskRefusal } from './refusal.js';
import { STATUS } from '@ward/proto';

/** Far above any real passwd file; a bigger one is refused rather than read into memory. */
const PASSWD_MAX_BYTES = 64 * 1024 * 1024;

/** Returns why `short`/`uid` clash with a local account, or undefined. Throws when unreadable. */
export function localAccountClash(passwdFile: string, short: string, uid: number): string | undefined {
  let text: string;
  try {
    const st = fs.statSync(passwdFile);
    if (st.size > PASSWD_MAX_BYTES) throw new Error(`larger than ${PASSWD_MAX_BYTES} bytes`);
    text = fs.readFileSync(passwdFile, 'utf8');
  } catch (e) {
    // Fail closed: without the local list the rule cannot be checked.
    throw new TaskRefusal(STATUS.ERROR, `cannot read the local passwd file ${passwdFile}: ${(e as Error).message}`);
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#')) continue;
    if (fields[0] === short) return `${short} is a local user in ${passwdFile}`;
    if (fields[2] === String(uid)) return `uid ${uid} belongs to local user ${fields[0]} in ${passwdFile}`;
  }
  return undefined;
}
