/**
 * Maps each op of the socket protocol (proto's OPS) to the resolver, the PAM service or the
 * cache, and renders the answer as the protocol's records. The socket server has already
 * decoded and bounded the request and checked which socket may ask for what.
 */
import { STATUS, type Msg } from '@ward/proto';
import type { CacheStore } from '../cache/store.js';
import type { Logger } from '../log.js';
import type { PamReply, PamService } from '../pam/pam.js';
import type { Connectivity } from '../resolver/connectivity.js';
import type { Enumerator } from '../resolver/enumeration.js';
import { groupOf, passwdOf, type RenderConfig } from '../resolver/render.js';
import { parseName, type Resolver } from '../resolver/resolver.js';
import type { SyncClient } from '../resolver/sync.js';
import type { Handler, Reply } from './socket-server.js';

export interface HandlerDeps {
  resolver: Resolver;
  enumerator: Enumerator;
  pam: PamService;
  store: CacheStore;
  sync: SyncClient;
  conn: Connectivity;
  cfg: RenderConfig & { idp_url: string };
  log: Logger;
}

const NOT_FOUND: Reply = { status: STATUS.NOT_FOUND, message: 'not found' };
/** STATUS's last_refresh_age (last_change_age) when the cache was never filled (never changed). */
export const NEVER = 0xffffffff;

/** Seconds since `at`, as STATUS carries it. */
function ageOf(at: number | undefined): number {
  return at === undefined ? NEVER : Math.min(NEVER - 1, Math.max(0, Math.floor((Date.now() - at) / 1000)));
}

function ok(msg: Msg): Reply {
  return { status: STATUS.OK, msg };
}

function pam(r: PamReply): Reply {
  return r.status === 'OK' ? ok({ message: r.message }) : { status: STATUS[r.status], message: r.message };
}

export function createHandler(d: HandlerDeps): Handler {
  const name = (msg: Msg) => parseName(msg['name'] as string);

  const ops: Record<string, (msg: Msg) => Promise<Reply> | Reply> = {
    PW_BY_NAME: async (msg) => {
      const q = name(msg);
      const a = q && (await d.resolver.user(q));
      return a ? ok({ entry: passwdOf(a, d.cfg) }) : NOT_FOUND;
    },
    PW_BY_UID: async (msg) => {
      const a = await d.resolver.user({ by: 'uid', key: msg['uid'] as number });
      return a ? ok({ entry: passwdOf(a, d.cfg) }) : NOT_FOUND;
    },
    PW_ENUM: (msg) => ok({ entries: d.enumerator.passwdPage(msg['offset'] as number) }),
    GR_BY_NAME: async (msg) => {
      const q = name(msg);
      const g = q && (await d.resolver.group(q));
      return g ? ok({ entry: groupOf(g, d.cfg) }) : NOT_FOUND;
    },
    GR_BY_GID: async (msg) => {
      const g = await d.resolver.group({ by: 'gid', key: msg['gid'] as number });
      return g ? ok({ entry: groupOf(g, d.cfg) }) : NOT_FOUND;
    },
    GR_ENUM: (msg) => ok({ entries: d.enumerator.groupPage(msg['offset'] as number) }),
    INITGROUPS: async (msg) => {
      const q = name(msg);
      const gids = q && (await d.resolver.initgroups(q));
      return gids ? ok({ gids }) : NOT_FOUND;
    },
    SSH_KEYS: async (msg) => {
      const q = name(msg);
      const a = q && (await d.resolver.user(q));
      return a ? ok({ keys: [...a.sshkeys] }) : NOT_FOUND;
    },
    STATUS: () => {
      const counts = d.store.counts();
      return ok({
        online: d.conn.online ? 1 : 0, idp_url: d.cfg.idp_url, users: counts.users, groups: counts.groups,
        last_refresh_age: ageOf(d.store.lastRefresh()), sync_state: d.sync.state, last_change_age: ageOf(d.sync.lastChangeAt),
      });
    },
    PAM_AUTH: async (msg) => pam(await d.pam.authenticate(msg['name'] as string, msg['password'] as string)),
    PAM_ACCOUNT: async (msg) => pam(await d.pam.account(msg['name'] as string)),
    PAM_SESSION: async (msg) => pam(await d.pam.openSession(msg['name'] as string)),
    PAM_CHAUTHTOK: (msg) => pam(d.pam.changePassword(msg['name'] as string)),
    CACHE_CLEAR: () => {
      d.store.clear();
      d.resolver.clearNegative();
      d.log.info('cache cleared on request (offline passwords included); listing the directory again');
      d.sync.resync();
      return ok({});
    },
    CACHE_INVALIDATE: () => {
      invalidate(d);
      return ok({});
    },
  };

  return async (op, msg) => {
    const fn = ops[op];
    if (!fn) return { status: STATUS.BAD_REQUEST, message: `${op} is not served here` };
    return fn(msg);
  };
}

/**
 * Every entry becomes stale, "not found" answers are forgotten and a full listing starts in the
 * background (the sync cursor is kept until it completes); lookups keep answering meanwhile.
 */
export function invalidate(d: Pick<HandlerDeps, 'store' | 'resolver' | 'sync' | 'log'>): void {
  d.store.markAllStale();
  d.resolver.clearNegative();
  d.log.info('cache invalidated on request; listing the directory again');
  d.sync.resync();
}
