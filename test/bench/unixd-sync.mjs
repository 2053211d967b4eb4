/**
 * Issue 9 §3: ward-unixd's memory and responsiveness with a large directory, measured once
 * (a bounded script, not a test; run as root: the daemon runs as `nobody`):
 *
 *   node test/bench/unixd-sync.mjs [persons]        default 100000 persons in persons/10 groups
 *
 * 1. a real wardd on a store loaded through the data layer (persons in persons/10 nested POSIX
 *    groups: departments of teams of leaves, each person directly in two leaves);
 * 2. ward-unixd starts on an empty cache and syncs everything, while STATUS is asked on its public
 *    socket back to back: the longest answer time is the longest stall a lookup would see;
 * 3. RSS after the sync, then after a full `getent passwd` and `getent group` (every PW_ENUM and
 *    GR_ENUM page through the socket), and the peak;
 * 4. catch-up: the daemon is stopped, CHANGES writes happen through the REST API, the daemon is
 *    started again and follows them from its cursor, STATUS probed again meanwhile.
 *
 * The daemon runs with the Environment= lines of systemd/ward-unixd.service (NODE_OPTIONS,
 * malloc settings), as deployed. WARD_UNIXD_NODE_ARGS, when set, are more node flags for it (V8
 * flags to compare; with --trace-gc the longest GC pauses are printed).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchSshKey, personName } from './lib/dataset.mjs';
import { ROOT } from './lib/paths.mjs';
import { fmt, memoryOf, progress, sampleMemory, sleep } from './lib/stats.mjs';
import { startUnixd } from './lib/unixd.mjs';
import { adminToken, startTestServer } from './lib/wardd.mjs';

const { openDirectory } = await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/directory/index.js')).href);
const { WardClient } = await import(pathToFileURL(path.join(ROOT, 'packages/client/dist/index.js')).href);
const { callSocket } = await import(pathToFileURL(path.join(ROOT, 'packages/proto/dist/node/index.js')).href);

const PERSONS = Number(process.argv[2] ?? 100_000);
const CHANGES = 1000;

/** persons/10 groups: 1% departments of teams (9% of groups) of leaves (90%). */
function plan(persons) {
  const groups = Math.max(10, Math.floor(persons / 10));
  const deps = Math.max(1, Math.floor(groups / 100));
  const teams = deps * 9;
  const leaves = groups - deps - teams;
  const leafMembers = Array.from({ length: leaves }, () => []);
  for (let i = 0; i < persons; i++) {
    leafMembers[i % leaves].push(personName(i));
    leafMembers[(i * 7 + 1) % leaves].push(personName(i));
  }
  const out = [];
  for (let d = 0; d < deps; d++) out.push({ name: `dep${d}`, members: Array.from({ length: 9 }, (_, k) => `team${d * 9 + k}`) });
  for (let t = 0; t < teams; t++) out.push({ name: `team${t}`, members: [] });
  for (let l = 0; l < leaves; l++) {
    out.push({ name: `grp${l}`, members: [...new Set(leafMembers[l])] });
    out[deps + (l % teams)].members.push(`grp${l}`);
  }
  return out;
}

async function load(dbPath, domain) {
  const dir = openDirectory({ dbPath, domain });
  try {
    const groups = plan(PERSONS);
    await dir.setPrimaryPassword('admin', 'bench admin password 1');
    const admin = dir.actorFor((await dir.verifyPassword('admin', 'bench admin password 1')).uuid, true);
    dir.db.transaction(() => {
      for (let i = 0; i < PERSONS; i++) {
        dir.createAccount(admin, 'person', { name: personName(i), displayname: `Bench User ${i}` });
        dir.setAccountPosix(admin, 'person', personName(i), {});
        dir.addSshKey(admin, 'person', personName(i), 'k0', benchSshKey(`${personName(i)}@bench`));
      }
      for (const g of groups) {
        dir.createGroup(admin, { name: g.name });
        dir.setGroupPosix(admin, g.name, {});
      }
      for (const g of groups) if (g.members.length) dir.addMembers(admin, g.name, g.members);
    })();
    return groups.length;
  } finally {
    dir.close();
  }
}

/** The Environment= lines of the shipped unit (systemd/ward-unixd.service). */
function unitEnvironment() {
  const unit = readFileSync(path.join(ROOT, 'systemd', 'ward-unixd.service'), 'utf8');
  return Object.fromEntries([...unit.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

function prioritize(pid) {
  spawnSync('renice', ['-n', '-10', '-p', String(pid), String(process.pid)]);
}

/** Asks STATUS back to back until stop(); resolves the longest answer time (ms) and the count. */
function probeStalls(socket) {
  let stopped = false;
  let worst = 0;
  let n = 0;
  const done = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        await callSocket(socket, 'STATUS', {}, { timeoutMs: 10_000 });
      } catch {
        /* counted as its time */
      }
      worst = Math.max(worst, performance.now() - t0);
      n++;
      await sleep(2);
    }
  })();
  return { async stop() { stopped = true; await done; return { worst, n }; } };
}

async function status(d) {
  return (await d.call('STATUS')).msg;
}

async function enumerateAll(d, op) {
  let n = 0;
  for (;;) {
    const r = await d.call(op, { offset: n });
    if (r.status !== 0) throw new Error(`${op} at offset ${n}: status ${r.status} ${r.message ?? ''}`);
    const entries = r.msg.entries;
    if (entries.length === 0) return n;
    n += entries.length;
  }
}

const server = await startTestServer({ process: true, domain: 'bench.test' });
let d;
try {
  await server.stop();
  progress(`loading ${PERSONS} persons into ${server.dbPath}`);
  const t0 = performance.now();
  const groupCount = await load(server.dbPath, server.domain);
  progress(`loaded ${PERSONS} persons, ${groupCount} groups in ${fmt((performance.now() - t0) / 1000)} s`);
  await server.start();
  // From here on every child (the daemon, also when restarted) gets the unit's environment.
  Object.assign(process.env, unitEnvironment());

  d = await startUnixd(server);
  // The machine is shared: give the daemon and this probe the CPU first, so that the longest
  // STATUS answer measures the daemon's own stalls more than other processes' load.
  prioritize(d.pid);
  const mem = sampleMemory(d.pid, 50);
  const probe = probeStalls(d.socket);
  const syncStart = performance.now();
  while ((await status(d)).sync_state !== 'live') await sleep(200);
  const syncSeconds = (performance.now() - syncStart) / 1000;
  const firstSync = await probe.stop();
  const afterSync = memoryOf(d.pid);
  const s = await status(d);
  progress(`first sync: ${s.users} users, ${s.groups} groups in ${fmt(syncSeconds)} s`);

  const e0 = performance.now();
  const pw = await enumerateAll(d, 'PW_ENUM');
  const pwSeconds = (performance.now() - e0) / 1000;
  const gr = await enumerateAll(d, 'GR_ENUM');
  const enumSeconds = (performance.now() - e0) / 1000;
  const afterEnum = memoryOf(d.pid);
  // V8 gives memory back to the system once idle (its memory reducer): the settled figure.
  await sleep(15_000);
  const settled = memoryOf(d.pid);

  // Catch-up: changes made while the daemon is stopped, then followed from its cursor.
  await d.stop();
  const admin = new WardClient({ url: server.url, caPath: server.caPath, token: await adminToken(server) });
  for (let i = 0; i < CHANGES; i++) {
    await admin.call('person_posix_set', { params: { id: personName(i) }, body: { shell: i % 2 ? '/bin/sh' : '/bin/zsh' } });
  }
  admin.close();
  await d.start();
  prioritize(d.pid);
  const probe2 = probeStalls(d.socket);
  const c0 = performance.now();
  while (!((await d.call('PW_BY_NAME', { name: personName(CHANGES - 1) })).msg.entry?.shell === '/bin/sh' && (await status(d)).sync_state === 'live')) await sleep(100);
  const catchSeconds = (performance.now() - c0) / 1000;
  const catchUp = await probe2.stop();
  const peak = mem.stop();

  const out = [
    `ward-unixd with ${PERSONS} persons, ${groupCount} groups (environment of systemd/ward-unixd.service: ${Object.entries(unitEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ')}; more node flags: ${process.env.WARD_UNIXD_NODE_ARGS ?? 'none'})`,
    `first sync: ${fmt(syncSeconds)} s; longest STATUS answer meanwhile ${fmt(firstSync.worst)} ms over ${firstSync.n} calls`,
    `RSS after sync: ${fmt(afterSync.rss)} MiB (anon ${fmt(afterSync.anon)} MiB)`,
    `full enumeration: ${pw} passwd (${fmt(pwSeconds)} s) + ${gr} group entries in ${fmt(enumSeconds)} s; RSS after: ${fmt(afterEnum.rss)} MiB (anon ${fmt(afterEnum.anon)} MiB), 15 s later ${fmt(settled.rss)} MiB (anon ${fmt(settled.anon)} MiB)`,
    `catch-up of ${CHANGES} changes after a restart: ${fmt(catchSeconds)} s; longest STATUS answer meanwhile ${fmt(catchUp.worst)} ms over ${catchUp.n} calls`,
    `peak RSS sampled (first run): ${fmt(peak)} MiB; final RSS ${fmt(memoryOf(d.pid).rss)} MiB`,
  ];
  process.stdout.write(out.join('\n') + '\n');
  // The daemon's own account of its longest synchronous cache write (a slow disk shows here).
  for (const l of d.log().split('\n').filter((x) => /listed the directory/.test(x))) process.stdout.write(`daemon: ${l.trim()}\n`);
  if (process.env.WARD_UNIXD_NODE_ARGS?.includes('--trace-gc')) {
    // V8's GC trace lines end "..., 12.3 / 0.0 ms"; show the longest pauses.
    const pauses = d.log().split('\n').filter((l) => /Mark-Compact|Scavenge|Mark-sweep/.test(l))
      .map((l) => [Number(/([\d.]+) \/ [\d.]+ ms/.exec(l)?.[1] ?? 0), l]).sort((a, b) => b[0] - a[0]).slice(0, 8);
    process.stdout.write(`longest GC pauses:\n${pauses.map(([, l]) => `  ${l.trim()}`).join('\n')}\n`);
  }
} finally {
  await d?.close();
  await server.close();
}
