/**
 * The host scale report (issue 9 §5): markdown tables of Ward at each size beside SSSD's figures
 * from the same run at the same size (ratio ours/SSSD: below 1 is better), every lookup also as a
 * multiple of glibc's own `files` lookup of root measured in the same loop (the floor ratio,
 * which does not move with the machine). `results` is [{ n, sssd, ward }] from host.mjs, `ward`
 * being measureWardAt's answer or { error }.
 */
import { fmt, ratio, table } from './stats.mjs';

const OPS = [['getpwnam', 'getpwnam'], ['getpwuid', 'getpwuid'], ['getgrnam', 'getgrnam'], ['getgrgid', 'getgrgid'], ['getgrouplist', 'getgrouplist']];
const N = (n) => n.toLocaleString('en-US');
const pair = (a, b) => `${fmt(a)} / ${fmt(b)}`;
const times = (x) => (Number.isFinite(x) ? `${fmt(x, 2)}×` : '–');

/** "not measured: why" for a Ward step, or undefined when it ran. */
function missing(ward, step) {
  if (ward.error) return `not measured: ${ward.error}`;
  if (ward.errors?.[step]) return `not measured: ${ward.errors[step]}`;
  if (!ward.steps?.[step]) return 'not measured';
  return undefined;
}
/** An SSSD cell without a value: '–' when the whole size is missing (said once under the sizes), else why. */
const sssdMissing = (sssd) => (sssd.available ? 'not recorded' : '–');

function lookupTable(results) {
  const rows = [];
  for (const { n, sssd, ward } of results) {
    const warm = ward.steps?.warm;
    const floor = warm?.getpwnam_files?.p50_us;
    const sFloor = sssd.get('a. getpwnam_files p50 / p99 µs [memcache on]')?.[0];
    for (const [op, label] of OPS) {
      const r = warm?.[op];
      const on = sssd.get(`a. ${op} p50 / p99 µs [memcache on]`);
      const off = sssd.get(`a. ${op} p50 / p99 µs [memcache off]`);
      rows.push([
        label, N(n),
        r ? `${pair(r.p50_us, r.p99_us)}${r.ok === r.n ? '' : ` (found ${r.ok}/${r.n})`}` : missing(ward, 'warm'),
        on ? pair(on[0], on[1]) : sssdMissing(sssd),
        r && on ? `${ratio(r.p50_us, on[0])} / ${ratio(r.p99_us, on[1])}` : '–',
        r ? times(r.p50_us / floor) : '–',
        on ? times(on[0] / sFloor) : '–',
        off ? pair(off[0], off[1]) : '–',
        r && off ? `${ratio(r.p50_us, off[0])} / ${ratio(r.p99_us, off[1])}` : '–',
      ]);
    }
    rows.push(['getpwnam("root") via `files` (the floor)', N(n), warm ? pair(warm.getpwnam_files.p50_us, warm.getpwnam_files.p99_us) : missing(ward, 'warm'),
      sFloor !== undefined ? pair(...sssd.get('a. getpwnam_files p50 / p99 µs [memcache on]')) : '–', warm && sFloor ? ratio(floor, sFloor) : '–', '1×', '1×', '–', '–']);
  }
  return table(['call', 'N', 'Ward p50 / p99 µs', 'SSSD memcache', 'ratio p50 / p99', 'Ward ÷ floor (p50)', 'SSSD ÷ floor (p50)', 'SSSD socket (memcache off)', 'ratio to socket'], rows);
}

function bigGroupTable(results) {
  return table(['N', 'groups (members)', 'getgrnam p50 / p99 µs', 'getgrgid p50 / p99 µs', 'p99 target', 'getgrnam ÷ floor (p50)'], results.map(({ n, ward }) => {
    const b = ward.steps?.big;
    const floor = ward.steps?.warm?.getpwnam_files?.p50_us ?? b?.getpwnam_files?.p50_us;
    const m = ward.steps?.bigMembers ?? [];
    const members = m.length ? `${m.length} × ${fmt(Math.min(...m))}–${fmt(Math.max(...m))}` : '–';
    if (!b) return [N(n), members, missing(ward, 'big'), '–', '< 100 µs', '–'];
    const worst = Math.max(b.getgrnam.p99_us, b.getgrgid.p99_us);
    return [N(n), members, pair(b.getgrnam.p50_us, b.getgrnam.p99_us), pair(b.getgrgid.p50_us, b.getgrgid.p99_us),
      worst < 100 ? 'met' : `missed by ${fmt(worst / 100, 2)}×`, times(b.getgrnam.p50_us / floor)];
  }));
}

function processTable(results) {
  const rows = [];
  for (const { n, sssd, ward } of results) {
    const floor = ward.steps?.floorProcess?.median;
    const sFloor = sssd.get('b. getent passwd root (files only, process floor) (ms)')?.[0];
    const row = (label, step, metric, note = '') => {
      const ours = ward.steps?.[step]?.median;
      const theirs = sssd.get(metric)?.[0];
      return [label, N(n), ours !== undefined ? fmt(ours) : missing(ward, step), theirs !== undefined ? fmt(theirs) : sssdMissing(sssd),
        ratio(ours, theirs), times(ours / floor), times(theirs / sFloor), note];
    };
    rows.push(row('`getent passwd root` (process floor)', 'floorProcess', 'b. getent passwd root (files only, process floor) (ms)'));
    rows.push(row('`getent passwd <user>`', 'getent', 'b. getent passwd <user> warm (ms) [memcache on]'));
    rows.push(row('`id <user>` (nested groups)', 'id', 'b. id <user> warm (ms) [memcache on]',
      `ours: ${ward.steps?.idGroups ?? '?'} groups (own, 2 leaves, their teams and departments); SSSD: 3 flat groups`));
  }
  return table(['measure (median ms)', 'N', 'Ward', 'SSSD', 'ratio', 'Ward ÷ floor', 'SSSD ÷ floor', 'notes'], rows);
}

/** SSSD's figure for a full `getent passwd` at this size, with what it means. */
function sssdEnumeration(sssd, n) {
  const skipped = sssd.raw('d. enumerate=true: all users visible after sssd start (s)');
  if (skipped) return { text: `not run (${skipped}): at 100,000 SSSD 2.8's enumeration never completes under its watchdog (sssd_be killed 4 times in 155 s, nothing committed; ../shared/bench/peers/RESULTS.md note 6)` };
  if (!sssd.available) return { text: sssdMissing(sssd) };
  const relaxed = sssd.get('d. enumerate=true, watchdog relaxed: getent passwd pass 2 (ms) / LDAP users listed');
  const first = sssd.get('d. enumerate=true, watchdog relaxed: getent passwd pass 1 (ms) / LDAP users listed');
  const defaults = sssd.raw('d. enumerate=true (defaults): all users listed by getent passwd after sssd start (s)') ?? '–';
  if (relaxed && relaxed[1] >= n) {
    return { ms: relaxed[0], text: `${fmt(relaxed[0])} (watchdog raised to 600 s; 1st listing ${fmt(first?.[0])} ms; defaults: ${defaults})` };
  }
  const committed = sssd.raw('d. enumerate=true (defaults): users committed to SSSD cache at end of wait (ldbsearch)');
  const killed = sssd.raw('d. enumerate=true (defaults): SSSD processes killed by their own watchdog during the wait');
  return { text: `never lists the users: defaults ${defaults} (users in its cache then: ${committed ?? '–'}; killed by its watchdog: ${killed?.trim() || '–'}); ` +
    `watchdog raised: ${first ? `${fmt(first[0])} ms for ${first[1]} users` : '–'}` };
}

function enumerationTable(results) {
  return table(['N', 'Ward: 1st `getent passwd` right after the first sync (ms)', 'Ward: warm, median of 5 (ms)', 'lines', 'SSSD (enumerate = true)', 'ratio (warm)', 'Ward `getent group` (ms, lines)', 'target'],
    results.map(({ n, sssd, ward }) => {
      const first = ward.steps?.enumFirst;
      const warm = ward.steps?.enumPw;
      const gr = ward.steps?.enumGr;
      const s = sssdEnumeration(sssd, n);
      const worst = Math.max(first?.ms ?? NaN, warm?.median ?? NaN);
      return [N(n), first ? `${fmt(first.ms)} (rc ${first.rc})` : missing(ward, 'enumFirst'), warm ? fmt(warm.median) : missing(ward, 'enumPw'),
        warm ? N(warm.lines) : '–', s.text, ratio(warm?.median, s.ms), gr ? `${fmt(gr.median)} (${N(gr.lines)})` : missing(ward, 'enumGr'),
        n === 100_000 ? (worst < 1000 ? '< 1 s: met' : Number.isFinite(worst) ? `< 1 s: missed by ${fmt(worst / 1000, 2)}×` : '< 1 s') : '–'];
    }));
}

function memoryTable(results) {
  return table(['N', 'ward-unixd RSS [anon] (peak) MiB', 'ward-unixd-tasks', 'Ward host total', 'SSSD, all processes [anon]', 'ratio', 'sssd_be / sssd_nss', 'targets at 100,000', 'wardd (IdP) RSS'],
    results.map(({ n, sssd, ward }) => {
      const u = ward.steps?.unixdMem;
      const t = ward.steps?.tasksMem;
      const all = sssd.get('h. RSS all sssd processes (MiB) [RssAnon]');
      const be = sssd.get('h. RSS sssd_be (MiB) [RssAnon]')?.[0];
      const nss = sssd.get('h. RSS sssd_nss (MiB) [RssAnon]')?.[0];
      const total = (u?.rss ?? NaN) + (t?.rss ?? NaN);
      const peak = Math.max(u?.hwm ?? NaN, ward.steps?.syncPeakRss ?? NaN);
      const target = n === 100_000 && u ? `ward-unixd ≤ 80: ${u.rss <= 80 ? 'met' : `missed by ${fmt(u.rss / 80, 2)}×`}; tasks < 30: ${t ? (t.rss < 30 ? 'met' : `missed by ${fmt(t.rss / 30, 2)}×`) : '–'}` : '–';
      return [N(n), u ? `${fmt(u.rss)} [${fmt(u.anon)}] (${fmt(peak)})` : missing(ward, 'warm'), t ? `${fmt(t.rss)} [${fmt(t.anon)}]` : missing(ward, 'tasks'),
        fmt(total), all ? `${fmt(all[0])} [${fmt(all[1])}]` : sssdMissing(sssd), ratio(total, all?.[0]), `${fmt(be)} / ${fmt(nss)}`, target,
        ward.steps?.wardd ? fmt(ward.steps.wardd.rss) : '–'];
    }));
}

function syncTable(results) {
  return table(['N', 'first sync: start → every user cached (s)', 'then → NSS map lists everyone (s)', 'longest STATUS call during it (ms)', 'longest gap between answers (ms)', 'STATUS calls (failed)', 'target < 50 ms', 'wardd CPU-s', 'SSSD: 1st `getent passwd` after start, empty cache (ms)'],
    results.map(({ n, sssd, ward }) => {
      const s = ward.steps?.sync;
      const p = ward.steps?.probe;
      const e = sssd.get('e. cold: 1st getent passwd after sssd start w/ empty cache (ms, median of 3)')?.[0];
      const m = ward.steps?.mapReady;
      return [N(n), s ? fmt(s.seconds) : missing(ward, 'sync'), m ? fmt(m.seconds) : missing(ward, 'mapReady'), p ? fmt(p.maxMs) : '–', p ? fmt(p.maxGapMs) : '–',
        p ? `${N(p.calls)} (${p.errors}${p.firstError ? `: ${p.firstError}` : ''})` : '–',
        p ? (p.maxMs < 50 ? 'met' : `missed by ${fmt(p.maxMs / 50, 2)}×`) : '–', s ? fmt(s.warddCpu) : '–', e !== undefined ? fmt(e) : sssdMissing(sssd)];
    }));
}

export function hostReport(results, describeBaseline) {
  const out = [];
  const shape = results.map(({ n, ward }) => (ward.data ? `${N(n)} persons in ${N(ward.data.groups.length)} groups (${N(ward.data.keys)} keys, loaded in ${fmt(ward.data.seconds)} s)` : `${N(n)}: ${ward.error}`));
  out.push(`Sizes: ${shape.join('; ')}. SSSD + OpenLDAP: ${describeBaseline}; versions ${results.find((r) => r.sssd.versions)?.sssd.versions ?? 'unknown'}.\n`);
  for (const { n, sssd } of results) if (!sssd.available) out.push(`SSSD at N=${N(n)}: not measured: ${sssd.why}.\n`);
  const sections = [
    ['Lookups through glibc (C loop, warm): p50 / p99 µs', lookupTable, 'Each size: min(N − 100, 2,000) random users or groups looked up ' +
      'once untimed, then 20,000 timed calls per call type on random picks (the baseline\'s method and working set). "÷ floor" divides a p50 ' +
      'by glibc\'s own `files` lookup of root measured in the same loop (the baseline records the same floor row), which cancels the ' +
      'machine\'s speed. SSSD\'s default path is its memory-mapped cache; its socket path (memcache off) is shown for reference. Our groups ' +
      'are nested (a department lists ~2,000 members, a leaf ~22; SSSD\'s are flat, ~20).'],
    ['Groups of ~2,000 members: getgrnam / getgrgid p50 / p99 µs', bigGroupTable, 'The departments (each the union of 9 teams of 10 leaves), ' +
      '5,000 timed calls on random picks after one untimed lookup each. SSSD\'s baseline has no group this large (its groups have ~20 ' +
      'members), so there is no ratio; the target is the issue\'s.'],
    ['Whole processes (median ms, hyperfine -N, 3 warm-ups, 30 runs)', processTable, '"÷ floor" divides by `getent passwd root` (answered by ' +
      '`files`) timed the same way in the same run.'],
    ['Full enumeration: `getent passwd` of every user', enumerationTable, 'Ours: the first listing is a one-shot right after the first sync ' +
      'finished; then 1 warm-up and 5 timed runs. SSSD lists directory users only with `enumerate = true` (its default lists none).'],
    ['Memory of every host process', memoryTable, 'VmRSS [RssAnon] after the lookups and enumerations above; peak is the largest of VmHWM ' +
      'and RSS sampled every 200 ms during the first sync. SSSD sums its monitor, sssd_be, sssd_nss, sssd_pam and sssd_ssh (memcache ' +
      'files included in their RSS). Our daemons run with the Environment= lines of their systemd units (ward-unixd: V8 semi-space ' +
      'and malloc arena limits). wardd is the IdP, not a host process: shown for scale.'],
    ['First sync and the longest stall', syncTable, 'From spawning ward-unixd until STATUS reports every user cached and the daemon online ' +
      '(and, with incremental sync, the listing done). Meanwhile a separate process, started before the daemon, calls STATUS over the ' +
      'socket continuously (a new connection per call, 10 ms apart, as the NSS module connects); "longest STATUS call" is the longest any ' +
      'caller waited for an answer, "gap" the longest time without one beyond the probe\'s own pause. The NSS module gives up after 1 s. ' +
      'SSSD has no sync: its nearest row is its first lookup after a start with an empty cache.'],
  ];
  for (const [title, render, note] of sections) out.push(`### ${title}\n`, render(results), `\n${note}\n`);
  const failures = results.flatMap(({ n, ward }) => Object.entries(ward.errors ?? {}).map(([k, v]) => `- N=${N(n)}, ${k}: ${v}`));
  if (failures.length) out.push(`### Steps that failed\n\n${failures.join('\n')}\n`);
  return out.join('\n');
}
