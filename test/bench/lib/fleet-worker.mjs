/**
 * One process of the fleet simulation (fleet.mjs): a few hundred simulated hosts, each a tiny
 * sync client of wardd's host sync API (packages/proto/src/api/unix.ts, bottom): its own
 * keep-alive HTTPS connection, a first sync (paged listings; or, for most hosts, just the cursor
 * of a one-entry page, see fleet.mjs), then a long-poll loop on /v1/unix/sync/changes. A host
 * keeps only its cursor and counters, not the directory, so hundreds fit in one process.
 *
 * Messages from the parent: { start: config }, { watch: { i, kind, name, test, arg, issued } }
 * (a change about to be made: report when each host first sees it), 'counters', 'report',
 * 'stop'. Times are wall-clock ms (performance.timeOrigin + performance.now()), comparable
 * between the processes of one machine.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let cfg;
let ca;
let stopping = false;
const hosts = [];
/** name -> watches on that entry; watches[i] -> the watch of change i. */
const watchesByName = new Map();
const watches = [];
const totals = { requests: 0, bytes: 0, errors: 0, resyncs: 0, listings: 0, firstError: undefined };

function get(host, path) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: cfg.host, port: cfg.port, path, ca, agent: host.agent, headers: { accept: 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        // What crossed the wire for this answer, roughly: status line and headers plus the body.
        const bytes = body.length + res.rawHeaders.reduce((n, h) => n + h.length + 2, 16);
        totals.requests += 1;
        totals.bytes += bytes;
        host.bytes += bytes;
        if (res.statusCode !== 200) reject(new Error(`GET ${path.split('?')[0]}: HTTP ${res.statusCode} ${body.toString().slice(0, 200)}`));
        else resolve(JSON.parse(body.toString()));
      });
      res.on('error', reject);
    });
    req.setTimeout((cfg.waitMax + 30) * 1000, () => req.destroy(new Error('no answer within the long-poll wait + 30 s')));
    req.on('error', reject);
  });
}

/** The first sync (or a resync): every page when `full`, else the first one-entry page's cursor. */
async function list(host) {
  totals.listings += 1;
  if (!host.full) {
    host.cursor = (await get(host, '/v1/unix/sync/account?limit=1')).cursor;
    return;
  }
  let cursor;
  for (const kind of ['account', 'group']) {
    let after = '';
    for (;;) {
      const page = await get(host, `/v1/unix/sync/${kind}?limit=${cfg.pageLimit}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      cursor ??= page.cursor;
      host.entries += page.items.length;
      if (page.next === null) break;
      after = page.next;
    }
  }
  host.cursor = cursor;
}

const TESTS = {
  keyHas: (e, arg) => e.sshkeys?.some((k) => k.includes(arg)),
  keyLacks: (e, arg) => !e.sshkeys?.some((k) => k.includes(arg)),
  locked: (e) => e.locked === true,
  unlocked: (e) => e.locked === false,
  memberHas: (e, arg) => e.members?.includes(arg),
  memberLacks: (e, arg) => Array.isArray(e.members) && !e.members.includes(arg),
};

function see(host, kind, entries, t) {
  for (const e of entries) {
    const list = watchesByName.get(`${kind}:${e.name}`);
    if (!list) continue;
    for (const w of list) if (Number.isNaN(host.seen[w.i]) && TESTS[w.test](e, w.arg)) host.seen[w.i] = t - w.issued;
  }
}

async function follow(host) {
  let backoff = 1000;
  while (!stopping) {
    try {
      // Each poll's wait drawn from [waitMin, waitMax] as ward-unixd does, so polls do not line up.
      const wait = cfg.waitMin + Math.floor(Math.random() * (cfg.waitMax - cfg.waitMin + 1));
      const c = await get(host, `/v1/unix/sync/changes?since=${encodeURIComponent(host.cursor)}&wait=${wait}`);
      const t = now();
      if (c.resync) {
        totals.resyncs += 1;
        await list(host);
        const done = now();
        for (const w of watches) if (w && Number.isNaN(host.seen[w.i])) host.seen[w.i] = done - w.issued;
        continue;
      }
      see(host, 'account', c.accounts, t);
      see(host, 'group', c.groups, t);
      host.cursor = c.cursor;
      backoff = 1000;
    } catch (e) {
      if (stopping) return;
      totals.errors += 1;
      totals.firstError ??= e.message;
      // Back off with jitter, as a host should, so a fleet does not stampede a struggling IdP.
      await sleep(backoff / 2 + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 30_000);
    }
  }
}

async function runHost(host) {
  await sleep(host.delay);
  for (;;) {
    try {
      const t0 = now();
      await list(host);
      host.syncedAt = now();
      host.syncMs = host.syncedAt - t0;
      host.syncBytes = host.bytes;
      break;
    } catch (e) {
      totals.errors += 1;
      totals.firstError ??= e.message;
      if (stopping) return;
      await sleep(1000 + Math.random() * 2000);
    }
  }
  await follow(host);
}

process.on('message', (m) => {
  if (m.start) {
    cfg = m.start;
    ca = readFileSync(cfg.caPath);
    for (const [k, id] of cfg.ids.entries()) {
      hosts.push({
        id,
        full: k < cfg.full,
        delay: Math.random() * cfg.jitterMs,
        agent: new https.Agent({ keepAlive: true, maxSockets: 1 }),
        cursor: undefined,
        entries: 0,
        bytes: 0,
        syncBytes: 0,
        syncMs: NaN,
        syncedAt: NaN,
        seen: new Float64Array(cfg.changes).fill(NaN),
      });
    }
    for (const h of hosts) void runHost(h);
    process.send({ started: hosts.length });
  } else if (m.watch) {
    const w = m.watch;
    watches[w.i] = w;
    const key = `${w.kind}:${w.name}`;
    if (!watchesByName.has(key)) watchesByName.set(key, []);
    watchesByName.get(key).push(w);
  } else if (m === 'counters') {
    const synced = hosts.filter((h) => !Number.isNaN(h.syncedAt));
    const seen = watches.map((w) => (w ? hosts.filter((h) => !Number.isNaN(h.seen[w.i])).length : 0));
    process.send({ counters: { ...totals, synced: synced.length, hosts: hosts.length, seen, rss: process.memoryUsage().rss, cpu: process.cpuUsage() } });
  } else if (m === 'report') {
    process.send({
      report: {
        hosts: hosts.map((h) => ({ full: h.full, syncMs: h.syncMs, syncedAt: h.syncedAt, entries: h.entries, bytes: h.bytes, syncBytes: h.syncBytes, seen: Array.from(h.seen) })),
        totals,
        rss: process.memoryUsage().rss,
      },
    });
  } else if (m === 'stop') {
    stopping = true;
    for (const h of hosts) h.agent.destroy();
    setTimeout(() => process.exit(0), 100);
  }
});
