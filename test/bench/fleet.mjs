/**
 * The fleet benchmark (issue 9 §5): many simulated hosts (lib/fleet-worker.mjs, a few hundred
 * per Node process; 1,000 by default) on one real wardd holding 100,000 persons in 10,000 nested
 * groups, speaking the host sync API. Phases:
 *
 *   1. first sync, host starts spread over JITTER_MS: a few hosts list everything page by page;
 *      the others take the change-log cursor of a one-entry page (see FULL_HOSTS for why);
 *   2. idle: every host holds a long poll; requests/s, bytes/s and wardd CPU over IDLE_MS, per
 *      connected host (an idle hour compressed to its rate);
 *   3. CHANGES admin writes through the REST API (SSH key added / deleted, account locked /
 *      unlocked, a person added to / removed from a group), one every PACE_MS: for each, the
 *      time from the write until 99% and 100% of hosts have received it.
 *
 * The simulated hosts share the 2 cores with wardd: wardd's CPU is read from /proc apart from
 * theirs.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchSshKey, leavesOf, personName, shapeFor } from './lib/dataset.mjs';
import { ROOT } from './lib/paths.mjs';
import { cpuSecondsOf, fmt, memoryOf, percentile, progress, sleep, table } from './lib/stats.mjs';
import { adminToken, startLoadedWardd } from './lib/wardd.mjs';

const { WardClient } = await import(pathToFileURL(path.join(ROOT, 'packages/client/dist/index.js')).href);
// The real client's page size and long-poll waits, so the simulated hosts ask what ward-unixd asks.
const { LIST_PAGE: PAGE_LIMIT, POLL_WAIT_MIN_S, POLL_WAIT_MAX_S } = await import(pathToFileURL(path.join(ROOT, 'packages/unixd/dist/resolver/sync.js')).href);

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib/fleet-worker.mjs');
const PROCESSES = 4;
/**
 * Hosts that really list all 100,000 persons. A full listing is ~80 MiB of JSON; 1,000 of them
 * (~80 GiB) would keep 2 shared cores busy for far longer than a benchmark run, so the others
 * take only the cursor, and the time for all is extrapolated from wardd's CPU per listing.
 */
const FULL_HOSTS = 4;
const JITTER_MS = 20_000;
const IDLE_MS = 60_000;
const CHANGES = 100;
const PACE_MS = 300;
const SEEN_LIMIT_MS = 60_000;
const TITLE = '## Fleet: simulated hosts on the sync API of one wardd';

/** The 100 changes: [kind, entry name, test the host applies, its argument, the admin call]. */
function planChanges(persons) {
  const leaves = shapeFor(persons).leaves;
  const plan = [];
  for (let i = 0; i < CHANGES; i++) {
    // Users from the end of the directory, one per pair of changes (add then delete a key, lock
    // then unlock, add to a group then remove), so the second of a pair undoes the first.
    const u = persons - 1 - Math.floor(i / 2);
    const name = personName(u);
    const own = leavesOf(u, leaves);
    let g = (Number(own[0].slice(3)) + Math.floor(leaves / 2)) % leaves;
    while (own.includes(`grp${g}`)) g = (g + 1) % leaves;
    const other = `grp${g}`;
    const marker = `fleet-${i}@bench`;
    switch (i % 6) {
      case 0: plan.push(['account', name, 'keyHas', marker, ['person_ssh_add', { params: { id: name }, body: { tag: `f${i}`, key: benchSshKey(marker) } }]]); break;
      case 1: plan.push(['account', name, 'keyLacks', `${name}-0@bench`, ['person_ssh_delete', { params: { id: name, tag: 'k0' } }]]); break;
      case 2: plan.push(['account', name, 'locked', '', ['person_update', { params: { id: name }, body: { locked: true } }]]); break;
      case 3: plan.push(['account', name, 'unlocked', '', ['person_update', { params: { id: name }, body: { locked: false } }]]); break;
      case 4: plan.push(['group', other, 'memberHas', name, ['group_members_add', { params: { id: other }, body: { members: [name] } }]]); break;
      default: plan.push(['group', other, 'memberLacks', name, ['group_members_remove', { params: { id: other }, body: { members: [name] } }]]); break;
    }
  }
  return plan;
}

function startWorkers(n, base) {
  const per = Math.ceil(n / PROCESSES);
  const workers = [];
  for (let p = 0; p < PROCESSES && p * per < n; p++) {
    const ids = Array.from({ length: Math.min(per, n - p * per) }, (_, k) => p * per + k);
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const full = Math.ceil(FULL_HOSTS / PROCESSES);
    child.send({ start: { ...base, ids, full } });
    workers.push(child);
  }
  return workers;
}

function ask(workers, what, key) {
  return Promise.all(workers.map((w) => new Promise((resolve) => {
    const on = (m) => {
      if (m && m[key] !== undefined) {
        w.off('message', on);
        resolve(m[key]);
      }
    };
    w.on('message', on);
    w.send(what);
  })));
}

const sum = (xs, f) => xs.reduce((s, x) => s + f(x), 0);

export async function runFleetBench({ hosts = 1000, persons = 100_000 } = {}) {
  progress(`fleet: loading wardd with ${persons} persons`);
  const { server, data } = await startLoadedWardd({ persons });
  const workers = [];
  try {
    const admin = new WardClient({ url: server.url, caPath: server.caPath, token: await adminToken(server) });
    const probe = await admin.callWithStatus('unix_sync_accounts', { query: { limit: '1' } }).catch((e) => ({ status: 0, body: e.message }));
    if (probe.status !== 200) {
      admin.close();
      return `${TITLE}\n\nNot measured: wardd does not serve the host sync API (GET /v1/unix/sync/account answered ${probe.status}: ${JSON.stringify(probe.body).slice(0, 200)}).\n`;
    }
    const url = new URL(server.url);
    const base = { host: url.hostname, port: Number(url.port), caPath: server.caPath, jitterMs: JITTER_MS, waitMin: POLL_WAIT_MIN_S, waitMax: POLL_WAIT_MAX_S, pageLimit: PAGE_LIMIT, changes: CHANGES };
    const warddBefore = memoryOf(server.pid);
    const cpu0 = cpuSecondsOf(server.pid);
    const t0 = Date.now();
    progress(`fleet: ${hosts} hosts syncing (starts spread over ${JITTER_MS / 1000} s)`);
    workers.push(...startWorkers(hosts, base));
    let counters;
    for (;;) {
      await sleep(1000);
      counters = await ask(workers, 'counters', 'counters');
      if (sum(counters, (c) => c.synced) >= hosts) break;
      if (Date.now() - t0 > 30 * 60_000) throw new Error(`only ${sum(counters, (c) => c.synced)} of ${hosts} hosts synced in 30 min`);
    }
    const syncSeconds = (Date.now() - t0) / 1000;
    const syncCpu = cpuSecondsOf(server.pid) - cpu0;
    progress(`fleet: all synced in ${syncSeconds.toFixed(0)} s; idle ${IDLE_MS / 1000} s`);

    await sleep(5000); // let the last listings' long polls settle in
    const idle0 = await ask(workers, 'counters', 'counters');
    const idleCpu0 = cpuSecondsOf(server.pid);
    const i0 = performance.now();
    await sleep(IDLE_MS);
    const idle1 = await ask(workers, 'counters', 'counters');
    const idleS = (performance.now() - i0) / 1000;
    const idle = {
      errors: sum(idle1, (c) => c.errors) - sum(idle0, (c) => c.errors),
      syncErrors: sum(counters, (c) => c.errors),
      requests: sum(idle1, (c) => c.requests) - sum(idle0, (c) => c.requests),
      bytes: sum(idle1, (c) => c.bytes) - sum(idle0, (c) => c.bytes),
      cpu: cpuSecondsOf(server.pid) - idleCpu0,
      seconds: idleS,
      wardd: memoryOf(server.pid),
      warddBefore,
    };

    progress(`fleet: ${CHANGES} changes, one every ${PACE_MS} ms`);
    const plan = planChanges(persons);
    const ch0 = performance.now();
    const chCpu0 = cpuSecondsOf(server.pid);
    const writeMs = [];
    for (const [i, [kind, name, test, arg, [route, args]]] of plan.entries()) {
      const issued = performance.timeOrigin + performance.now();
      for (const w of workers) w.send({ watch: { i, kind, name, test, arg, issued } });
      const w0 = performance.now();
      await admin.call(route, args);
      writeMs.push(performance.now() - w0);
      await sleep(PACE_MS);
    }
    const chDone = performance.now();
    for (;;) {
      const c = await ask(workers, 'counters', 'counters');
      const seen = plan.map((_, i) => sum(c, (w) => w.seen[i] ?? 0));
      if (seen.every((s) => s >= hosts) || performance.now() - chDone > SEEN_LIMIT_MS) break;
      await sleep(500);
    }
    const changesCpu = cpuSecondsOf(server.pid) - chCpu0;
    const changesSeconds = (performance.now() - ch0) / 1000;
    const reports = await ask(workers, 'report', 'report');
    admin.close();
    return fleetReport({ hosts, persons, data, syncSeconds, syncCpu, idle, reports, plan, changesCpu, changesSeconds, writeMs });
  } finally {
    for (const w of workers) if (w.connected) w.send('stop');
    await server.close();
  }
}

function fleetReport({ hosts, persons, data, syncSeconds, syncCpu, idle, reports, plan, changesCpu, changesSeconds, writeMs }) {
  const all = reports.flatMap((r) => r.hosts);
  const full = all.filter((h) => h.full);
  const totals = reports.map((r) => r.totals);
  const N = (n) => Math.round(n).toLocaleString('en-US');
  const MiB = (b) => fmt(b / 2 ** 20);
  const out = [TITLE, ''];
  out.push(`${N(hosts)} simulated hosts in ${reports.length} Node.js processes on one wardd with ${N(persons)} persons in ${N(data.groups.length)} nested groups ` +
    `(loaded in ${fmt(data.seconds)} s). Each host: one keep-alive HTTPS connection, listing pages of ${PAGE_LIMIT}, long polls of ${POLL_WAIT_MIN_S}-${POLL_WAIT_MAX_S} s (drawn per poll); ` +
    `it keeps its cursor and counters only (the ${reports.length} client processes: ${fmt(sum(reports, (r) => r.rss) / 2 ** 20)} MiB RSS in all, Node.js runtimes included).\n`);
  const fullMs = full.map((h) => h.syncMs);
  const fullBytes = full.map((h) => h.syncBytes);
  const perListingCpu = syncCpu / Math.max(1, full.length);
  out.push('### First sync\n');
  out.push(table(['measure', 'value', 'notes'], [
    ['all hosts synced (starts spread over the jitter)', `${fmt(syncSeconds)} s`, `jitter ${JITTER_MS / 1000} s; failed requests (retried with backoff): ${N(idle.syncErrors)}`],
    [`full listing of everything (${full.length} hosts)`, `${fmt(percentile(fullMs, 0.5) / 1000)} s median, ${fmt(Math.max(...fullMs) / 1000)} s max`,
      `${MiB(percentile(fullBytes, 0.5))} MiB each, ${N(full[0]?.entries ?? 0)} entries`],
    ['wardd CPU during the first sync', `${fmt(syncCpu)} CPU-s`, `≈ ${fmt(perListingCpu)} CPU-s per full listing (the cursor-only hosts' share is small)`],
    [`extrapolated: ${N(hosts)} full listings`, `${fmt((perListingCpu * hosts) / 60)} CPU-min of wardd, ${fmt((percentile(fullBytes, 0.5) * hosts) / 2 ** 30)} GiB`,
      'not run: the other hosts took only the cursor (one-entry page)'],
  ]));
  const idleHosts = hosts;
  out.push('\n### Idle (every host connected, nothing changes)\n');
  out.push(table(['measure', 'whole fleet', 'per connected host', 'per host per hour'], [
    ['requests', `${fmt(idle.requests / idle.seconds)} /s`, `${fmt(idle.requests / idle.seconds / idleHosts, 3)} /s`, N((idle.requests / idle.seconds / idleHosts) * 3600)],
    ['bytes received by hosts', `${fmt(idle.bytes / idle.seconds / 1024)} KiB/s`, `${fmt(idle.bytes / idle.seconds / idleHosts)} B/s`, `${fmt((idle.bytes / idle.seconds / idleHosts) * 3600 / 1024)} KiB`],
    ['wardd CPU', `${fmt((idle.cpu / idle.seconds) * 100)}% of a core`, `${fmt((idle.cpu / idle.seconds / idleHosts) * 1e6)} µs/s`, `${fmt((idle.cpu / idleHosts) * (3600 / idle.seconds) * 1000)} ms`],
    ['wardd RSS with every host connected', `${fmt(idle.wardd.rss)} MiB (${fmt(idle.warddBefore.rss)} before they connected)`,
      `${fmt(((idle.wardd.rss - idle.warddBefore.rss) * 1024) / idleHosts)} KiB (the growth / hosts, listings' garbage included)`, '–'],
  ]));
  out.push(`\nMeasured over ${fmt(idle.seconds)} s (longer than one long-poll wait) after every host finished its first sync; bytes are response ` +
    `headers and bodies as the hosts received them (TLS framing not counted). Failed requests meanwhile: ${N(idle.errors)}.\n`);
  const lat = plan.map((_, i) => all.map((h) => h.seen[i]));
  const q = (xs, p) => {
    const seen = xs.filter((x) => !Number.isNaN(x));
    if (seen.length < Math.ceil(p * xs.length)) return NaN;
    return percentile(xs.map((x) => (Number.isNaN(x) ? Infinity : x)), p);
  };
  const p99 = lat.map((xs) => q(xs, 0.99));
  const p100 = lat.map((xs) => q(xs, 1));
  const missed = lat.map((xs) => xs.filter((x) => Number.isNaN(x)).length);
  const finite = (xs) => xs.filter(Number.isFinite);
  const byType = new Map();
  plan.forEach(([, , test], i) => {
    if (!byType.has(test)) byType.set(test, []);
    byType.get(test).push(i);
  });
  const LABEL = { keyHas: 'SSH key added', keyLacks: 'SSH key deleted', locked: 'account locked', unlocked: 'account unlocked', memberHas: 'added to a group', memberLacks: 'removed from a group' };
  out.push(`### ${plan.length} changes through the admin API, one every ${PACE_MS} ms: time until hosts have them (ms)\n`);
  out.push(table(['change', 'count', '99% of hosts: median / worst', '100% of hosts: median / worst', 'on every host within 5 s', 'host-changes never seen'], [...byType.entries()].map(([test, idx]) => {
    const a = finite(idx.map((i) => p99[i]));
    const b = finite(idx.map((i) => p100[i]));
    return [LABEL[test], idx.length, a.length ? `${fmt(percentile(a, 0.5))} / ${fmt(Math.max(...a))}` : 'never',
      b.length === idx.length ? `${fmt(percentile(b, 0.5))} / ${fmt(Math.max(...b))}` : `${idx.length - b.length} never reached 100%`,
      `${b.filter((x) => x <= 5000).length} of ${idx.length}`, N(sum(idx, (i) => missed[i]))];
  })));
  out.push(`\nFrom just before the admin call was sent until a host's long poll returned the entry in its new state (or a resync finished). ` +
    `Each admin write took ${fmt(percentile(writeMs, 0.5))} ms median, ${fmt(Math.max(...writeMs))} ms max (wardd answering the fleet meanwhile). ` +
    `Changes phase: ${fmt(changesSeconds)} s, wardd CPU ${fmt(changesCpu)} CPU-s (${fmt((changesCpu / (plan.length * hosts)) * 1e6)} µs per change delivered to a host). ` +
    `The measurement stops waiting ${SEEN_LIMIT_MS / 1000} s after the last write. ` +
    `Failed requests in the whole run ${N(sum(totals, (t) => t.errors))}${totals.find((t) => t.firstError) ? ` (first: ${totals.find((t) => t.firstError).firstError})` : ''}, ` +
    `resyncs ${N(sum(totals, (t) => t.resyncs))}.\n`);
  return out.join('\n');
}
