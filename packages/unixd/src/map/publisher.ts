/**
 * Keeps the memory-mapped NSS file (config key nss_map) equal to what the socket answers.
 *
 * - Reads the SQLite cache through its OWN read-only connection, so it depends on nothing of
 *   the store but the tables' uid/gid and data columns, and sees a consistent snapshot.
 * - Regenerates when the cache changed (SQLite's data_version moves on any other connection's
 *   commit) or the host's /etc/passwd or /etc/group changed, checked every CHECK_MS: one
 *   generation at a time, at most one a second, and after a generation that took D ms none for
 *   another 2 D, so a constant stream of changes costs the map at most a third of a core (a
 *   whole file at 100,000 users takes seconds; changes meanwhile land in the next one).
 * - Publishes atomically (file-writer.ts), then sets MAP_FLAG_REPLACED in the file it replaced.
 * - Rewrites the heartbeat every MAP_HEARTBEAT_SECONDS; on stop marks the file replaced, so
 *   readers go back to the socket (which is gone too) instead of serving a dead daemon's file.
 * Any failure is logged and leaves readers on the previous file or, once it goes stale, on the
 * socket: the map only ever speeds lookups up.
 */
import Database from 'better-sqlite3';
import { closeSync } from 'node:fs';
import path from 'node:path';
import { MAP_FILE_NAME, MAP_HEARTBEAT_SECONDS } from '@ward/proto';
import type { UnixdConfig } from '../config/keys.js';
import type { LocalFiles } from '../local/etc-files.js';
import type { Logger } from '../log.js';
import type { RenderConfig } from '../resolver/render.js';
import { writeContents } from './contents.js';
import { MapFileBuilder, markReplaced, openPublished, writeHeartbeat } from './file-writer.js';

export const CHECK_MS = 1000;

export interface MapPublisherOptions {
  path: string;
  cacheDb: string;
  local: LocalFiles;
  cfg: RenderConfig;
  log: Logger;
  /**
   * True while regenerating would only compete with a bulk write (the sync's full listing): a
   * listing of 100,000 users commits hundreds of chunks, and rewriting a partial map after each
   * costs the event loop for nothing. The file already published keeps serving (its heartbeat
   * goes on); the first check after the hold ends writes the complete one.
   */
  hold?: () => boolean;
}

/** nss_map, or nss.map beside the public socket when unset (where the NSS module looks). */
export function mapPathOf(cfg: Pick<UnixdConfig, 'nss_map' | 'socket'>): string {
  return cfg.nss_map ?? path.join(path.dirname(cfg.socket), MAP_FILE_NAME);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export class MapPublisher {
  private db: Database.Database | undefined;
  /** The published file, open for the flag and heartbeat writes. */
  private fd: number | undefined;
  private seen = '';
  private running: Promise<void> | undefined;
  private generation = Date.now();
  private checkTimer: NodeJS.Timeout | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private failedOnce = false;
  /** Date.now() before which no generation starts (the 2 D pause above). */
  private notBefore = 0;

  constructor(private readonly o: MapPublisherOptions) {}

  start(): void {
    try {
      this.db = new Database(this.o.cacheDb, { readonly: true, fileMustExist: true });
      // Pages are read once, in key order: a small page cache is enough (better-sqlite3's
      // default of 16 MiB would stay in the daemon's RSS after the first generation).
      this.db.pragma('cache_size = -1024');
    } catch (e) {
      this.fail(e);
      return;
    }
    this.checkTimer = setInterval(() => void this.check(), CHECK_MS);
    this.beatTimer = setInterval(() => this.beat(), MAP_HEARTBEAT_SECONDS * 1000);
    this.checkTimer.unref();
    this.beatTimer.unref();
    void this.check();
  }

  /** Checks now, without the pause after the last generation (a full listing just ended). */
  poke(): void {
    this.notBefore = 0;
    void this.check();
  }

  /** Resolves when the file reflects everything committed before the call (tests). */
  async settle(): Promise<void> {
    while (this.running) await this.running;
    this.notBefore = 0;
    await this.check();
    while (this.running) await this.running;
  }

  /** Stops timers and closes files, leaving the published file as it is (tests). */
  detach(): void {
    clearInterval(this.checkTimer);
    clearInterval(this.beatTimer);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.db?.close();
  }

  async stop(): Promise<void> {
    clearInterval(this.checkTimer);
    clearInterval(this.beatTimer);
    while (this.running) await this.running.catch(() => {});
    if (this.fd !== undefined) {
      try {
        markReplaced(this.fd);
      } catch {
        // the file is gone with /run: nothing to invalidate
      }
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.db?.close();
  }

  private stateKey(): string {
    const version = this.db!.pragma('data_version', { simple: true }) as number;
    return `${version}:${this.o.local.generation}`;
  }

  private check(): Promise<void> {
    if (this.running || !this.db?.open) return this.running ?? Promise.resolve();
    if (Date.now() < this.notBefore || this.o.hold?.()) return Promise.resolve();
    let key: string;
    try {
      key = this.stateKey();
    } catch (e) {
      this.fail(e);
      return Promise.resolve();
    }
    if (key === this.seen) return Promise.resolve();
    const started = Date.now();
    this.running = this.generate().finally(() => {
      this.running = undefined;
      this.notBefore = Date.now() + 2 * (Date.now() - started);
    });
    return this.running;
  }

  private async generate(): Promise<void> {
    const db = this.db!;
    const local = { users: this.o.local.users(), groups: this.o.local.groups() };
    let out: MapFileBuilder | undefined;
    db.exec('BEGIN');
    try {
      // Inside the transaction: what data_version says is what the pages read.
      const key = this.stateKey();
      out = new MapFileBuilder(this.o.path);
      await writeContents(db, out, local, this.o.cfg);
      db.exec('COMMIT');
      const previous = this.fd ?? openPublished(this.o.path);
      const header = await out.finish(++this.generation, nowSeconds);
      this.fd = openPublished(this.o.path);
      if (previous !== undefined) {
        markReplaced(previous);
        closeSync(previous);
      }
      this.seen = key;
      this.failedOnce = false;
      this.o.log.debug(`published ${this.o.path}: ${header['pw_count']} users, ${header['gr_count']} groups, ${header['file_size']} bytes`);
    } catch (e) {
      out?.abort();
      if (db.inTransaction) db.exec('ROLLBACK');
      this.fail(e);
    }
  }

  private beat(): void {
    if (this.fd === undefined) return;
    try {
      writeHeartbeat(this.fd, nowSeconds());
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    // Logged once per failure streak: the next check retries, readers use the socket meanwhile.
    if (!this.failedOnce) this.o.log.warn(`cannot publish the NSS map ${this.o.path}: ${(e as Error).message}`);
    this.failedOnce = true;
  }
}
