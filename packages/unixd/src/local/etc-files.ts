/**
 * The host's own users and groups, read straight from /etc/passwd and /etc/group (never through
 * NSS: that would loop back into our own module). Local entries always win: the resolver hides
 * a directory entry whose name or number a local entry already uses.
 *
 * The files are re-read when their inode, size or mtime changes (useradd replaces them by
 * rename), checked at most once per RECHECK_MS so a lookup flood costs no extra syscalls.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '../log.js';

const RECHECK_MS = 1000;

export interface IdSet {
  names: ReadonlySet<string>;
  ids: ReadonlySet<number>;
}

const EMPTY: IdSet = { names: new Set(), ids: new Set() };

/**
 * Parses passwd or group text: `name:x:NUMBER:...`. Comments, blank lines, NIS `+`/`-` lines and
 * lines without a decimal number in the third field are skipped (glibc's files module skips
 * them too).
 */
export function parseIdFile(text: string): IdSet {
  const names = new Set<string>();
  const ids = new Set<number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const num = fields[2];
    if (!name || num === undefined || !/^\d{1,10}$/.test(num)) continue;
    const id = Number(num);
    if (id > 0xffffffff) continue;
    names.add(name);
    ids.add(id);
  }
  return { names, ids };
}

class WatchedFile {
  private sig = '';
  private data: IdSet = EMPTY;
  private checkedAt = 0;
  /** Bumped on every reload, so derived views know to rebuild. */
  generation = 0;

  constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {}

  get(now = Date.now()): IdSet {
    if (now - this.checkedAt >= RECHECK_MS || now < this.checkedAt) {
      this.checkedAt = now;
      this.reload();
    }
    return this.data;
  }

  private reload(): void {
    let sig: string;
    try {
      const st = statSync(this.file);
      sig = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (e) {
      sig = 'missing';
      if (this.sig !== sig) {
        this.log.warn(`cannot read ${this.file} (${(e as NodeJS.ErrnoException).code}); no local entries from it`);
        this.data = EMPTY;
        this.sig = sig;
        this.generation++;
      }
      return;
    }
    if (sig === this.sig) return;
    try {
      this.data = parseIdFile(readFileSync(this.file, 'utf8'));
      this.sig = sig;
      this.generation++;
      this.log.debug(`read ${this.data.names.size} entries from ${this.file}`);
    } catch (e) {
      // Keep what we had: a transient read error must not suddenly expose shadowed entries.
      this.log.warn(`cannot read ${this.file}: ${(e as Error).message}; keeping the previous copy`);
    }
  }
}

export class LocalFiles {
  private readonly passwd: WatchedFile;
  private readonly group: WatchedFile;

  constructor(passwdFile: string, groupFile: string, log: Logger) {
    this.passwd = new WatchedFile(passwdFile, log);
    this.group = new WatchedFile(groupFile, log);
  }

  users(): IdSet {
    return this.passwd.get();
  }

  groups(): IdSet {
    return this.group.get();
  }

  /** Changes whenever either file was reloaded. */
  get generation(): number {
    this.users();
    this.groups();
    return this.passwd.generation * 1_000_003 + this.group.generation;
  }
}
