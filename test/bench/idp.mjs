/**
 * The IdP benchmark (issue 2 §7): a real `wardd` child holding 10,000 POSIX persons with SSH keys
 * in 1,000 nested POSIX groups, measured over HTTPS on 127.0.0.1 with keep-alive:
 *
 *   - POSIX account lookups (GET /v1/unix/account/:name, anonymous, as ward-unixd asks them):
 *     requests per second and per-request p50/p99 at 1, 4 and 16 concurrent connections, each
 *     level for a bounded time after a short unmeasured warm-up;
 *   - the bulk listings hosts refresh their caches with (GET /v1/unix/account, /v1/unix/group),
 *     time to the last byte, and the same after a change (the server rebuilds its view);
 *   - one password login (POST /v1/auth/login, argon2id), N sequential logins;
 *   - wardd's RSS: idle after start, the peak while loaded, and settled afterwards.
 *
 * The load generator is this Node process (WardClient, the client ward-unixd uses) and shares the
 * machine's cores with wardd, so the figures are for both on one machine; wardd's own CPU use per
 * level is printed to show whether the server or the client was the limit. No peer baseline for
 * an IdP exists on this machine: absolute figures only.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/paths.mjs';
import { adminToken, startLoadedWardd } from './lib/wardd.mjs';
import { cpuSecondsOf, fmt, machineBusySeconds, memoryOf, percentile, progress, sampleMemory, sleep, table } from './lib/stats.mjs';

const { WardClient } = await import(pathToFileURL(path.join(ROOT, 'packages/client/dist/index.js')).href);

const LEVELS = [1, 4, 16];
const LEVEL_MS = 6_000;
const WARMUP_MS = 1_000;
const MAX_REQUESTS_PER_LEVEL = 200_000;
const BULK_RUNS = 5;
const CHANGE_RUNS = 3;
const LOGINS = 40;

/** Closed-loop load: `connections` workers, each one request at a time, for `ms`. */
async function lookupLoad(server, names, connections, ms, measure) {
  const client = new WardClient({ url: server.url, caPath: server.caPath, maxSockets: connections, timeoutMs: 10_000 });
  const latencies = [];
  let errors = 0;
  let stop = false;
  const worker = async (seed) => {
    let i = seed * 7919;
    while (!stop) {
      i = (i * 1103515245 + 12345) % 2147483648;
      const name = names[i % names.length];
      const t0 = performance.now();
      try {
        const a = await client.call('unix_account_get', { params: { id: name } });
        if (a.name !== name) errors++;
      } catch {
        errors++;
      }
      if (measure) latencies.push(performance.now() - t0);
      if (latencies.length >= MAX_REQUESTS_PER_LEVEL) stop = true;
    }
  };
  const cpu0 = cpuSecondsOf(server.pid);
  const own0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), ms);
  await Promise.all(Array.from({ length: connections }, (_, k) => worker(k + 1)));
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuSecondsOf(server.pid) - cpu0) / seconds;
  const own = process.cpuUsage(own0);
  const clientCpu = (own.user + own.system) / 1e6 / seconds;
  const otherCpu = Math.max(0, (machineBusySeconds() - busy0) / seconds - cpu - clientCpu);
  client.close();
  return { latencies, errors, seconds, cpu, clientCpu, otherCpu };
}

/** GET path to the last byte on a keep-alive agent; resolves { ms, bytes, status }. */
function timedGet(agent, server, urlPath, token) {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = https.get({ host: url.hostname, port: url.port, path: urlPath, agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('bulk listing timed out')));
  });
}

async function bulk(server, agent, urlPath, runs) {
  const samples = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const r = await timedGet(agent, server, urlPath);
    if (r.status !== 200) throw new Error(`${urlPath} answered HTTP ${r.status}`);
    samples.push(r.ms);
    bytes = r.bytes;
  }
  return { samples, bytes };
}

export async function runIdpBench() {
  const out = [];
  progress('IdP: starting wardd and loading 10,000 persons');
  const { server, data } = await startLoadedWardd();
  try {
    const names = data.users.map((u) => u.name);
    await sleep(2000);
    const idle = memoryOf(server.pid);
    progress(`IdP: wardd pid ${server.pid}, idle RSS ${fmt(idle.rss)} MiB`);
    const peak = sampleMemory(server.pid);

    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(server.caPath) });
    const first = await timedGet(agent, server, `/v1/unix/account/${names[names.length - 1]}`);

    const levels = [];
    for (const c of LEVELS) {
      progress(`IdP: account lookups with ${c} connection(s)`);
      await lookupLoad(server, names, c, WARMUP_MS, false);
      const r = await lookupLoad(server, names, c, LEVEL_MS, true);
      levels.push({ c, ...r });
    }

    progress('IdP: bulk listings');
    const accounts = await bulk(server, agent, '/v1/unix/account', BULK_RUNS);
    const groups = await bulk(server, agent, '/v1/unix/group', BULK_RUNS);
    const token = await adminToken(server, 'idm_admin');
    const admin = new WardClient({ url: server.url, caPath: server.caPath, token });
    const afterChange = [];
    for (let i = 0; i < CHANGE_RUNS; i++) {
      // One membership change (alternately added and removed), then the listing a host would fetch.
      const op = i % 2 === 0 ? 'group_members_add' : 'group_members_remove';
      await admin.call(op, { params: { id: 'grp5' }, body: { members: [names[1]] } });
      afterChange.push((await timedGet(agent, server, '/v1/unix/account')).ms);
    }

    progress(`IdP: ${LOGINS} sequential password logins`);
    const password = data.loginPassword;
    const logins = [];
    for (let i = 0; i < LOGINS; i++) {
      const t0 = performance.now();
      const r = await admin.request('POST', '/v1/auth/login', { name: data.loginUser, password });
      logins.push(performance.now() - t0);
      if (typeof r.token !== 'string') throw new Error('login answered without a token');
    }
    admin.close();
    agent.destroy();
    const loaded = peak.stop();
    await sleep(3000);
    const settled = memoryOf(server.pid);

    out.push('## IdP (`wardd`)\n');
    out.push(`Directory: ${data.users.length.toLocaleString('en-US')} POSIX persons (${data.keys.toLocaleString('en-US')} SSH keys) in ` +
      `${data.groups.length.toLocaleString('en-US')} nested POSIX groups, loaded through the data layer in ${fmt(data.seconds)} s ` +
      `(setup, not measured below). SQLite file, HTTPS on 127.0.0.1, log_level info.\n`);
    out.push('### POSIX account lookups: GET /v1/unix/account/:name, keep-alive\n');
    out.push(table(
      ['connections', 'requests', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'wardd CPU', 'client CPU', 'other CPU', 'requests per wardd CPU-second'],
      levels.map((l) => [
        String(l.c), l.latencies.length.toLocaleString('en-US'), fmt(l.latencies.length / l.seconds),
        fmt(percentile(l.latencies, 0.5)), fmt(percentile(l.latencies, 0.99)), String(l.errors), `${Math.round(l.cpu * 100)}%`,
        `${Math.round(l.clientCpu * 100)}%`, `${Math.round(l.otherCpu * 100)}%`, fmt(l.latencies.length / l.seconds / l.cpu),
      ]),
    ));
    out.push(`\nEach level: ${WARMUP_MS / 1000} s unmeasured warm-up, then ${LEVEL_MS / 1000} s closed loop (each connection sends its next ` +
      'request when the previous answer arrived), random persons of the 10,000. "wardd CPU" and "client CPU" are user+system CPU time over ' +
      'wall time (100% = one core); "other CPU" is what the rest of the machine used meanwhile (other work inflates the figures). The client (this Node.js process) shares the machine with wardd; when it nears 100% it, not wardd, ' +
      'is the limit, and "requests per wardd CPU-second" estimates what wardd serves per core. ' +
      `First lookup after start (builds the in-memory view): ${fmt(first.ms)} ms.\n`);
    out.push('### Bulk listings, login, memory\n');
    out.push(table(['measure', 'value', 'method'], [
      ['GET /v1/unix/account (10,000 accounts)', `${fmt(percentile(accounts.samples, 0.5))} ms median, ${fmt(Math.max(...accounts.samples))} ms max`,
        `${BULK_RUNS} runs, time to last byte, ${fmt(accounts.bytes / 2 ** 20)} MiB`],
      ['GET /v1/unix/group (11,000 groups incl. personal)', `${fmt(percentile(groups.samples, 0.5))} ms median, ${fmt(Math.max(...groups.samples))} ms max`,
        `${BULK_RUNS} runs, ${fmt(groups.bytes / 2 ** 20)} MiB`],
      ['GET /v1/unix/account right after a membership change', `${fmt(percentile(afterChange, 0.5))} ms median, ${fmt(Math.max(...afterChange))} ms max`,
        `${CHANGE_RUNS} runs; includes rebuilding the view`],
      ['password login POST /v1/auth/login', `${fmt(percentile(logins, 0.5))} ms p50, ${fmt(percentile(logins, 0.99))} ms p99`,
        `${LOGINS} sequential logins, argon2id m=19 MiB t=2 p=1`],
      ['wardd RSS idle (after start, before any request)', `${fmt(idle.rss)} MiB`, `VmRSS; RssAnon ${fmt(idle.anon)} MiB`],
      ['wardd RSS loaded (peak while measured)', `${fmt(loaded)} MiB`, `VmRSS sampled every 100 ms; VmHWM ${fmt(memoryOf(server.pid).hwm)} MiB`],
      ['wardd RSS settled (3 s after the load)', `${fmt(settled.rss)} MiB`, `VmRSS; RssAnon ${fmt(settled.anon)} MiB`],
    ]));
    out.push('');
    return out.join('\n');
  } finally {
    await server.close();
  }
}
