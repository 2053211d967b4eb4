/**
 * Ward's host stack measured at one directory size (issue 9 §5): a real wardd loaded with N
 * persons in N/10 nested groups (dataset.mjs), a real ward-unixd (as nobody) and ward-unixd-tasks
 * (as root), and the built libnss_ward.so.2 used by glibc in the benchmark namespace. Nothing here
 * knows how the daemon or the NSS module answer (socket or a mapped file): every lookup goes
 * through glibc as a program's would.
 *
 * In order: the first sync (time from the daemon's start until STATUS reports every user, with a
 * separate process calling STATUS the whole time to find the longest stall), the first full
 * `getent passwd` right after it, the warm C loop over random users and groups, the same loop
 * over the largest groups (~2,000 members), whole-process `getent`/`id`, warm full enumerations,
 * and the RSS of both host processes. Each step that fails is recorded with its error and the
 * next one still runs.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostTools, compileBench } from './host-tools.mjs';
import { makeNamespace } from './namespace.mjs';
import { cpuSecondsOf, memoryOf, progress, sampleMemory } from './stats.mjs';
import { startUnixd } from './unixd.mjs';
import { startLoadedWardd } from './wardd.mjs';

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'status-probe.mjs');
export const K = 20_000; // timed calls per op, warm (as the baseline)
export const BIG_K = 5_000; // timed calls on the largest groups
/** The baseline's working set: min(N - 100, 2,000). */
export const workset = (n) => Math.min(n - 100, 2_000);
/** Bound on the first sync (the issue saw 25 s at 100,000 from the old daemon). */
const SYNC_LIMIT_MS = 10 * 60_000;

/** Resolves once the probe process is loaded and calling. */
async function startProbe(socket) {
  const child = fork(PROBE, [socket], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the STATUS probe exited with ${code}`)));
  });
  return {
    stop: () => new Promise((resolve) => {
      child.once('message', resolve);
      child.once('exit', () => resolve(undefined));
      child.send('stop');
    }),
  };
}

/** Resolves { n, data, steps: {name: value}, errors: {name: message}, seconds }. */
export async function measureWardAt(n, work) {
  const started = performance.now();
  const steps = {};
  const errors = {};
  const step = async (name, fn) => {
    try {
      steps[name] = await fn();
    } catch (e) {
      errors[name] = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
      progress(`host N=${n}: ${name} failed: ${errors[name]}`);
    }
  };
  progress(`host N=${n}: loading wardd`);
  const { server, data } = await startLoadedWardd({ persons: n });
  let unixd;
  try {
    const wardd0 = cpuSecondsOf(server.pid);
    let probe;
    let t0;
    unixd = await startUnixd(server, {
      beforeStart: async (h) => {
        probe = await startProbe(h.socket);
        t0 = performance.now();
      },
    });
    const mem = sampleMemory(unixd.pid, 200);
    await step('sync', async () => {
      try {
        const status = await unixd.waitForRefresh(n, SYNC_LIMIT_MS);
        return { seconds: (performance.now() - t0) / 1000, status, warddCpu: cpuSecondsOf(server.pid) - wardd0 };
      } finally {
        steps.syncPeakRss = mem.stop();
        steps.probe = await probe.stop();
      }
    });
    if (errors.sync) throw new Error(`ward-unixd did not finish its first sync: ${errors.sync}`);
    progress(`host N=${n}: first sync ${steps.sync.seconds.toFixed(1)} s, longest STATUS ${steps.probe?.maxMs?.toFixed(1)} ms`);
    // The map is rewritten whole after cache commits (a few seconds at 100,000 users): lookups are
    // measured once it holds everyone, and how long that took after the sync is reported.
    await step('mapReady', async () => {
      const m0 = performance.now();
      await unixd.waitForMap(n);
      return { seconds: (performance.now() - m0) / 1000 };
    });
    steps.wardd = memoryOf(server.pid);
    await step('tasks', () => unixd.startTasks());

    const ns = makeNamespace(unixd.socket, work);
    const tools = new HostTools(ns, compileBench(work), work);
    const file = (name, lines) => {
      const p = path.join(work, name);
      writeFileSync(p, lines.join('\n') + '\n');
      return p;
    };
    const users = data.users;
    const usersTsv = file('users.tsv', users.slice(0, -100).map((u) => `${u.name} ${u.uid} ${u.gid}`));
    const groupsTsv = file('groups.tsv', data.groups.map((g) => `${g.name} ${g.gid}`));
    const big = data.groups.filter((g) => g.kind === 'department');
    const bigTsv = file('big-groups.tsv', big.map((g) => `${g.name} ${g.gid}`));
    steps.bigMembers = big.map((g) => g.members);
    const someone = users[Math.floor(n / 2)].name;

    await step('enumFirst', async () => ({ ...(await tools.once(['getent', 'passwd'])), lines: await tools.lineCount(['getent', 'passwd']) }));
    await step('warm', async () => {
      const d0 = cpuSecondsOf(unixd.pid);
      const l0 = performance.now();
      const r = await tools.lookups(usersTsv, groupsTsv, 'warm', K, workset(n), 1);
      r.daemonCpu = (cpuSecondsOf(unixd.pid) - d0) / ((performance.now() - l0) / 1000);
      return r;
    });
    await step('big', () => tools.lookups(usersTsv, bigTsv, 'warm', BIG_K, workset(n), 2));
    await step('floorProcess', () => tools.wholeProcess(['getent', 'passwd', 'root']));
    await step('getent', () => tools.wholeProcess(['getent', 'passwd', someone]));
    await step('id', () => tools.wholeProcess(['id', someone]));
    steps.idGroups = (await ns.run(['id', '-G', someone])).stdout.trim().split(/\s+/).filter(Boolean).length;
    await step('enumPw', async () => ({ ...(await tools.wholeProcess(['getent', 'passwd'], 5, 1)), lines: await tools.lineCount(['getent', 'passwd']) }));
    await step('enumGr', async () => ({ ...(await tools.wholeProcess(['getent', 'group'], 5, 1)), lines: await tools.lineCount(['getent', 'group']) }));
    steps.unixdMem = memoryOf(unixd.pid);
    steps.tasksMem = unixd.tasksPid ? memoryOf(unixd.tasksPid) : undefined;
    return { n, data, steps, errors, seconds: (performance.now() - started) / 1000 };
  } finally {
    await unixd?.close();
    await server.close();
  }
}
