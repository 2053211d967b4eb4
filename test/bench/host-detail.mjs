/**
 * The host benchmark's detail rows at 10,000 persons (issue 3 §8; host.mjs runs it after the
 * scale rows): a real `wardd` holding 10,000 persons in 1,000 nested groups,
 * a real `ward-unixd` (as nobody) that has cached them, and the built libnss_ward.so.2 and
 * kanidm-ssh-authorizedkeys, measured inside a private mount namespace whose nsswitch.conf says
 * `files ward` (namespace.mjs). Every row is printed beside the SSSD + OpenLDAP baseline run on
 * this machine in the same run (lib/sssd.mjs, N=10,000) as ours/SSSD: below 1 is better for times
 * and memory.
 *
 * The warm C loop, enumerations and memory are the scale rows' (host.mjs). Phases, in order: warm
 * whole processes (getent, id, key command); cold after
 * a daemon restart (empty memory layer, filled SQLite cache); cold after cache-invalidate; users
 * the cache has never seen; and the IdP hung with SIGSTOP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchSshKey } from './lib/dataset.mjs';
import { ROOT } from './lib/paths.mjs';
import { HostTools, compileBench } from './lib/host-tools.mjs';
import { KEYCMD, hostUnavailable, makeNamespace } from './lib/namespace.mjs';
import { fmt, progress, ratio, table } from './lib/stats.mjs';
import { startUnixd } from './lib/unixd.mjs';
import { adminToken, startLoadedWardd } from './lib/wardd.mjs';

const { WardClient } = await import(pathToFileURL(path.join(ROOT, 'packages/client/dist/index.js')).href);

const W = 2_000; // working set, warm (as the baseline)
const COLD_W = 500; // first lookups per op, cold
const HUNG_K = 2_000; // timed calls per op with the IdP hung (as the baseline)
const ONE_SHOTS = 10; // distinct users per cold whole-process row (median, as the baseline)

const lookupRows = [
  ['getpwnam', 'getpwnam'], ['getpwuid', 'getpwuid'], ['getgrnam', 'getgrnam'], ['getgrgid', 'getgrgid'],
  ['getgrouplist', 'getgrouplist (initgroups)'], ['getpwnam_files', 'getpwnam("root") via files (floor)'],
];
const us = (r) => (r ? `${fmt(r.p50_us)} / ${fmt(r.p99_us)}` : '–');
const pair = (v) => (v ? v.map((x) => fmt(x)).join(' / ') : 'not in baseline');

/** `sssd`: the same run's SSSD rows at N=10,000 (SssdBaseline.at); `source` says where they come from. */
export async function runHostDetail(sssd, source) {
  const why = hostUnavailable();
  if (why) return `### Details at 10,000 persons\n\nNot measured: ${why}.\n`;
  const S = (metric) => sssd.get(metric);
  const work = mkdtempSync(path.join(tmpdir(), 'ward-bench-host-'));
  progress('host: starting wardd and loading 10,000 persons');
  const { server, data } = await startLoadedWardd();
  let unixd;
  let stopped = false;
  try {
    const t0 = performance.now();
    unixd = await startUnixd(server);
    const status = await unixd.waitForRefresh(data.users.length);
    const fillSeconds = (performance.now() - t0) / 1000;
    progress(`host: ward-unixd pid ${unixd.pid} cached ${status.users} users, ${status.groups} groups in ${fillSeconds.toFixed(1)} s`);

    // A phase must end with the daemon online and its cache complete. When it does not recover on
    // its own within a bound, that is printed (it is a finding) and the daemon is restarted.
    const incidents = [];
    const settle = async (after) => {
      try {
        await unixd.waitForRefresh(data.users.length, 45_000);
      } catch (e) {
        incidents.push(`After ${after}: ${e.message.replace(/\n\s*/g, ' | ')}. Restarted ward-unixd to go on.`);
        await unixd.stop();
        await unixd.start();
        await unixd.waitForRefresh(data.users.length);
      }
    };
    const ns = makeNamespace(unixd.socket, work);
    const tools = new HostTools(ns, compileBench(work), work);
    const users = data.users;
    const file = (name, lines) => {
      const p = path.join(work, name);
      writeFileSync(p, lines.join('\n') + '\n');
      return p;
    };
    // Names for the one-shot rows are kept out of the lookup loops' lists, so they stay cold.
    const reserved = users.slice(-3 * ONE_SHOTS).map((u) => u.name);
    const slice = (i) => reserved.slice(i * ONE_SHOTS, (i + 1) * ONE_SHOTS);
    const loopUsers = users.slice(0, -3 * ONE_SHOTS);
    const usersTsv = file('users.tsv', loopUsers.map((u) => `${u.name} ${u.uid} ${u.gid}`));
    const groupsTsv = file('groups.tsv', data.groups.map((g) => `${g.name} ${g.gid}`));
    const someone = loopUsers[123].name;

    progress('host: whole-process timings');
    const floor = await tools.wholeProcess(['getent', 'passwd', 'root']);
    const getent = await tools.wholeProcess(['getent', 'passwd', someone]);
    const id = await tools.wholeProcess(['id', someone]);
    const keys = await tools.wholeProcess([KEYCMD, someone]);
    const keyLines = await tools.lineCount([KEYCMD, someone]);

    progress('host: cold after a ward-unixd restart');
    await unixd.stop();
    await unixd.start();
    const afterStart = await tools.eachName(slice(0), ['getent', 'passwd', '{}']);
    const coldStart = await tools.lookups(usersTsv, groupsTsv, 'cold', 0, COLD_W, 2);
    await settle('the cold lookups after a restart');

    progress('host: cold after cache-invalidate');
    if ((await unixd.call('CACHE_INVALIDATE', {}, true)).status !== 0) throw new Error('CACHE_INVALIDATE refused');
    const afterInvalidate = await tools.eachName(slice(1), ['getent', 'passwd', '{}']);
    const coldInvalidate = await tools.lookups(usersTsv, groupsTsv, 'cold', 0, COLD_W, 3);
    await settle('the cold lookups after cache-invalidate');

    progress('host: users created after the last refresh');
    const admin = new WardClient({ url: server.url, caPath: server.caPath, token: await adminToken(server) });
    const fresh = [0, 1, 2].map((set) => Array.from({ length: ONE_SHOTS }, (_, i) => `fresh${set}x${i}`));
    for (const name of fresh.flat()) {
      await admin.call('person_create', { body: { name, displayname: name } });
      await admin.call('person_posix_set', { params: { id: name }, body: {} });
      await admin.call('person_ssh_add', { params: { id: name }, body: { tag: 'k0', key: benchSshKey(`${name}@bench`) } });
    }
    // The IdP rebuilds its view on the first read after these writes; do that read here, so the
    // rows below time the host's path (daemon -> IdP -> cache), not the IdP's rebuild.
    await admin.call('unix_account_get', { params: { id: fresh[0][0] } });
    admin.close();
    const newGetent = await tools.eachName(fresh[0], ['getent', 'passwd', '{}']);
    const newId = await tools.eachName(fresh[1], ['id', '{}']);
    const newKeys = await tools.eachName(fresh[2], [KEYCMD, '{}']);

    progress('host: IdP hung (SIGSTOP)');
    const hungFloor = [await tools.once(['getent', 'passwd', 'root']), await tools.once(['getent', 'passwd', 'root'])];
    process.kill(server.pid, 'SIGSTOP');
    stopped = true;
    const twice = async (argv) => [await tools.once(argv), await tools.once(argv)];
    const hung = {
      unknownGetent: await twice(['getent', 'passwd', 'nosuchuser1']),
      unknownKeys: await twice([KEYCMD, 'nosuchuser2']),
    };
    // Every entry stale: each lookup below also wants a refresh from the hung IdP.
    await unixd.call('CACHE_INVALIDATE', {}, true);
    hung.cachedGetent = await twice(['getent', 'passwd', reserved[2 * ONE_SHOTS]]);
    hung.cachedId = await twice(['id', reserved[2 * ONE_SHOTS + 1]]);
    hung.cachedKeys = await twice([KEYCMD, reserved[2 * ONE_SHOTS + 2]]);
    const hungLoop = await tools.lookups(usersTsv, groupsTsv, 'warm', HUNG_K, W, 4);
    const hungOnline = (await unixd.call('STATUS')).msg.online;
    process.kill(server.pid, 'SIGCONT');
    stopped = false;

    // ---- report ----
    const out = [];
    out.push('### Details at 10,000 persons: cold caches, whole processes, IdP hung\n');
    out.push(`The IdP above (same loader: ${users.length.toLocaleString('en-US')} persons, ${data.groups.length.toLocaleString('en-US')} nested groups, ` +
      `${data.keys.toLocaleString('en-US')} keys); ward-unixd as nobody, defaults (cache_ttl 300 s, idp_timeout_ms 2000), filled its SQLite cache ` +
      `(${status.users} users, ${status.groups} groups incl. personal) ${fmt(fillSeconds)} s after start. ` +
      (sssd.available ? `SSSD column: N=10,000, ${source} (${sssd.versions}).` : `No SSSD baseline: ${sssd.why}; ours only.`) + '\n');

    out.push('#### In-process lookups, cold: p50 / p99 µs (first call of the run)\n');
    out.push(table(
      ['call', 'after ward-unixd restart', 'after cache-invalidate'],
      lookupRows.slice(0, 5).map(([op, label]) => [label, `${us(coldStart[op])} (${fmt(coldStart[op].first_us)})`, `${us(coldInvalidate[op])} (${fmt(coldInvalidate[op].first_us)})`]),
    ));
    out.push(`\n${COLD_W} distinct entries per call type, each looked up once with no warm-up, started right after the daemon answered ` +
      '(restart: empty memory layer, filled SQLite cache, the start-up refresh from the IdP running meanwhile) or right after ' +
      '`CACHE_INVALIDATE` (every entry stale: each lookup answers from the cache and asks the IdP for a fresh copy in the background, ' +
      'while a full refresh runs). SSSD has no in-process cold rows; see the whole-process rows below.\n');

    out.push('#### Whole processes (median ms)\n');
    const wp = (label, ours, metric, note = '', index = 0) => {
      const theirs = metric ? S(metric)?.[index] : undefined;
      return [label, fmt(ours), theirs === undefined ? '–' : fmt(theirs), ratio(ours, theirs), note];
    };
    out.push(table(['measure', 'Ward', 'SSSD', 'ratio', 'notes'], [
      wp('getent passwd root (files only: process floor)', floor.median, 'b. getent passwd root (files only, process floor) (ms)'),
      wp('getent passwd <user>, warm', getent.median, 'b. getent passwd <user> warm (ms) [memcache on]'),
      wp('id <user>, warm', id.median, 'b. id <user> warm (ms) [memcache on]', 'ours: own group + 2 leaves + their teams and departments (~1,900 members each); SSSD: 3 flat groups'),
      wp('kanidm-ssh-authorizedkeys <user> (SSSD: sss_ssh_authorizedkeys)', keys.median, 'c. sss_ssh_authorizedkeys <user> warm (ms)', `${keyLines} key line(s)`),
      wp('1st getent passwd after daemon start', afterStart.first, 'e. cold: 1st getent passwd after sssd start w/ empty cache (ms, median of 3)',
        'ours: SQLite cache filled; SSSD: empty cache (asks LDAP)'),
      wp(`getent passwd, cold memory layer after restart (median of ${ONE_SHOTS} users)`, afterStart.median, undefined, 'no SSSD equivalent (its memcache file survives restarts)'),
      wp(`after cache-invalidate: 1st getent passwd of a cached user (median of ${ONE_SHOTS})`, afterInvalidate.median, 'e. after sss_cache -E: 1st getent passwd of cached user (ms, median of 10)'),
      wp(`getent passwd, user not in the cache, IdP up (median of ${ONE_SHOTS})`, newGetent.median, 'e. cold: getent passwd, user not in cache, backend connected (ms, median of 10)', `found ${newGetent.ok}/${ONE_SHOTS}`),
      wp(`id, user not in the cache (median of ${ONE_SHOTS})`, newId.median, 'e. cold: id <user>, user not in cache (ms, median of 10)', `found ${newId.ok}/${ONE_SHOTS}`),
      wp(`key command, user not in the cache (median of ${ONE_SHOTS})`, newKeys.median, 'e. cold: sss_ssh_authorizedkeys, user not in cache (ms, median of 10)', `found ${newKeys.ok}/${ONE_SHOTS}`),
    ]));
    out.push(`\nWarm rows: ${tools.hyperfine ? `${tools.hyperfine}, \`-N\`` : 'no hyperfine installed: nss_bench\'s fork+exec loop'}, 3 warm-ups and ` +
      '30 runs, the median, as the baseline. Cold rows: one fork+exec per distinct user, timed by nss_bench.\n');

    out.push('#### IdP hung (SIGSTOP: its port accepts, nothing answers)\n');
    const hungRow = (label, ours, metric, note = '') => {
      const theirs = S(metric);
      return [label, `${fmt(ours[0].ms)} / ${fmt(ours[1].ms)}`, `rc ${ours[0].rc} / ${ours[1].rc}`, pair(theirs),
        theirs ? `${ratio(ours[0].ms, theirs[0])} / ${ratio(ours[1].ms, theirs[1])}` : '–', note];
    };
    out.push(table(['one-shot, 1st / 2nd call (ms)', 'Ward', 'Ward exit', 'SSSD', 'ratio', 'notes'], [
      hungRow('getent passwd, unknown user', hung.unknownGetent, 'f. [slapd hung] getent passwd UNcached user: 1st / 2nd call (ms)', 'asked right after SIGSTOP, while the daemon still believed the IdP online'),
      hungRow('key command, unknown user', hung.unknownKeys, 'f. [slapd hung] sss_ssh_authorizedkeys UNcached user: 1st / 2nd call (ms)'),
      hungRow('getent passwd, cached user', hung.cachedGetent, 'f. [slapd hung] getent passwd cached user: 1st / 2nd call (ms)', 'entries invalidated first: every lookup also asks the hung IdP'),
      hungRow('id, cached user', hung.cachedId, 'f. [slapd hung] id cached user: 1st / 2nd call (ms)'),
      hungRow('key command, cached user', hung.cachedKeys, 'f. [slapd hung] sss_ssh_authorizedkeys cached user: 1st / 2nd call (ms)'),
      hungRow('timer floor: getent passwd root', hungFloor, 'f. (floor of the one-shot timer used in f.: timeout 120 getent passwd root) (ms)',
        'ours: a bare fork+exec; SSSD\'s went through `timeout 120`'),
    ]));
    out.push('\nIn-process with the IdP hung, cached users (C loop, ' + `${HUNG_K.toLocaleString('en-US')} calls), p50 / p99 µs:\n`);
    out.push(table(['call', 'Ward', 'SSSD', 'ratio p50 / p99'], lookupRows.map(([op, label]) => {
      const theirs = S(`a. ${op} p50 / p99 µs [slapd hung, cached users]`);
      const r = hungLoop[op];
      return [label, us(r), pair(theirs), theirs ? `${ratio(r.p50_us, theirs[0])} / ${ratio(r.p99_us, theirs[1])}` : '–'];
    })));
    out.push(`\nThe daemon reported itself ${hungOnline === 1 ? 'online' : 'offline'} at the end of the hung phase. SSSD's hung-LDAP ssh login rows belong to the host-logins benchmark.\n`);
    if (incidents.length) out.push(`#### Incidents\n\n${incidents.map((i) => `- ${i}`).join('\n')}\n`);
    return out.join('\n');
  } finally {
    if (stopped) process.kill(server.pid, 'SIGCONT');
    await unixd?.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}
