#!/usr/bin/env node
/**
 * `npm run bench` (builds first), or `node test/bench/run.mjs [SUITE...|all] [options]`:
 *
 *   --sizes 1000,10000      host suite: only these directory sizes (default 1000,10000,100000)
 *   --no-detail             host suite: leave out issue 3's detail rows at 10,000
 *   --sssd-results FILE     reuse an earlier results.tsv of run-sssd-baseline.sh (named in the
 *                           report) instead of running it; default: run it on this machine
 *   --fleet-hosts 1000      fleet suite: simulated hosts (default 1000); --fleet-persons 100000
 *   --out FILE              also write the report to FILE
 *
 * Runs the benchmarks and prints a markdown report on stdout (progress goes to stderr): the
 * machine, the method, and each suite's tables. `--out FILE` also writes the report to FILE
 * (docs/benchmarks.md holds one committed run). Benchmarks measure and print; they assert
 * nothing about speed. A suite that cannot run here says why in the report instead of printing
 * numbers. The whole run takes a few minutes on 2 cores.
 *
 *   idp   issue 2 §7: wardd with 10,000 persons in 1,000 nested groups over HTTPS (idp.mjs)
 *   host  issue 9 §5 / issue 3 §8: the SSSD baseline rerun here, then ward-unixd + NSS module at
 *         each size beside it (host.mjs)
 *   fleet issue 9 §5: 1,000 simulated hosts on the sync API of one wardd with 100,000 persons (fleet.mjs)
 *   signin issue 5 §8: password sign-ins per core against Keycloak's sizing, TOTP and passkey checks (signin.mjs)
 *   oauth2 issue 6 §6: token endpoint and userinfo per core, a whole sign-in without a browser, RSS with
 *          10,000 active sessions, against Keycloak's sizing (oauth2.mjs)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/paths.mjs';
import { SssdBaseline } from './lib/sssd.mjs';
import { fmt, hyperfineVersion, machineInfo, progress } from './lib/stats.mjs';

/** Each suite gets the parsed options (`opts`) and the run's SSSD baseline (`baseline`). */
const SUITES = {
  idp: async () => (await import('./idp.mjs')).runIdpBench(),
  host: async (o) => (await import('./host.mjs')).runHostBench({ baseline: o.baseline, sizes: o.sizes, detail: o.detail }),
  fleet: async (o) => (await import('./fleet.mjs')).runFleetBench({ hosts: o.fleetHosts, persons: o.fleetPersons }),
  signin: async () => (await import('./signin.mjs')).runSigninBench(),
  oauth2: async () => (await import('./oauth2.mjs')).runOAuth2Bench(),
  logins: async (o) => (await import('./logins.mjs')).runLoginsBench({ baseline: o.baseline }),
};

function parseArgs(argv) {
  const names = [];
  const o = { detail: true, fleetHosts: 1000, fleetPersons: 100_000 };
  const value = (i, what) => {
    const v = argv[i + 1];
    if (!v || v.startsWith('--')) throw new Error(`${argv[i]} needs ${what}`);
    return v;
  };
  const count = (v, flag) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: ${JSON.stringify(v)} is not a positive whole number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') o.out = value(i++, 'a file');
    else if (a === '--sssd-results') o.sssdResults = path.resolve(value(i++, 'a results.tsv file'));
    else if (a === '--sizes') {
      o.sizes = value(i++, 'sizes like 1000,10000').split(',').map((v) => count(v.replace(/_/g, ''), '--sizes'));
      for (const n of o.sizes) if (n < 1000 || n % 1000 !== 0) throw new Error(`--sizes: ${n} is not a multiple of 1,000`);
    } else if (a === '--no-detail') o.detail = false;
    else if (a === '--fleet-hosts') o.fleetHosts = count(value(i++, 'a number'), a);
    else if (a === '--fleet-persons') o.fleetPersons = count(value(i++, 'a number'), a);
    else if (a === 'all') names.push(...Object.keys(SUITES));
    else if (a in SUITES) names.push(a);
    else throw new Error(`unknown argument ${JSON.stringify(a)}: use ${Object.keys(SUITES).join(', ')} or all, and options (see the top of run.mjs)`);
  }
  return { names: names.length ? [...new Set(names)] : Object.keys(SUITES), o };
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

const METHOD = `## Method

- **Data**: N POSIX persons (10,000 unless a section says otherwise; the host suite runs 1,000, 10,000 and 100,000), each
  with one ssh-ed25519 key (two for every third person; well-formed around random 32-byte blobs as the baseline's), in N/10
  nested POSIX groups: N/1,000 departments hold 9 teams each, teams hold 10 leaf groups each, and every person is a direct
  member of 2 leaves (about 22 direct members a leaf; a department has about 2,000 effective members at every size). This
  is the SSSD baseline's shape (N users, N/10 groups, 2 supplementary groups each, same key mix) plus the nesting issue 2
  asks for. It is loaded through wardd's own data layer (\`openDirectory\`, the validation and access checks of the REST
  API, as \`admin\`) in one transaction before wardd starts: the REST API writes one entry per request with an fsync
  each, and that load is setup, not a measurement.
- **Everything real**: \`wardd\` as a child process on a temporary SQLite file, HTTPS on 127.0.0.1 with its own CA;
  \`ward-unixd\` as \`nobody\` with its SQLite cache; the built \`libnss_ward.so.2\` and \`kanidm-ssh-authorizedkeys\`, used by
  glibc inside \`unshare --mount\` with an overlaid library folder and an nsswitch.conf saying \`files ward\` (the machine's
  own /etc and /usr are not changed). Loopback only.
- **Statistics**: percentiles are nearest-rank over every timed call; whole-process rows are medians. Timings are
  wall-clock on CLOCK_MONOTONIC (C) or \`performance.now()\` (Node). Memory is VmRSS/RssAnon from /proc.
- **Peer**: SSSD 2.8 + OpenLDAP, measured by \`../shared/bench/peers/run-sssd-baseline.sh\` (RESULTS.md there describes
  it) **on this machine in this run**, right before Ward at the same size, never read from an older run (unless
  \`--sssd-results\` says so, named in the section). Ratios are Ward / SSSD: below 1 is better. Machines differ by up
  to 5x, so every in-process lookup is also shown as a multiple of glibc's own \`files\` lookup of root timed in the
  same loop ("÷ floor"), which does not move with the machine. Keycloak or another IdP has no local baseline: the IdP
  figures are absolute.
- Nothing here is asserted; the numbers move with the machine's load (printed below). On this shared 2-vCPU VM, quiet
  runs of the same code differed by up to about 1.7× (warm getpwnam p50 between 96 and 184 µs; lookups/s at 4
  connections between 7,500 and 9,500): read a ratio as a range, not to the second digit.
`;

async function main() {
  const { names, o } = parseArgs(process.argv.slice(2));
  const { out } = o;
  const sssdDir = mkdtempSync(path.join(os.tmpdir(), 'ward-bench-sssd-'));
  o.baseline = new SssdBaseline({ workDir: sssdDir, resultsFile: o.sssdResults });
  const started = Date.now();
  const m = machineInfo();
  const load0 = os.loadavg();
  const parts = [];
  const emit = (text) => {
    parts.push(text);
    process.stdout.write(`${text}\n`);
  };
  emit('# Ward benchmarks\n');
  emit(`Run ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC by \`node test/bench/run.mjs ${process.argv.slice(2).join(' ') || 'all'}\` ` +
    `at commit ${gitCommit()}.\n`);
  emit([
    `- **Machine**: ${m.cpu}, ${m.memory} RAM${m.virt ? ` (${m.virt})` : ''}; ${m.os}, kernel ${m.kernel}; Node.js ${m.node}; ` +
      `${hyperfineVersion() ?? 'no hyperfine'}.`,
    `- **Load average at start**: ${load0.map((l) => fmt(l)).join(', ')} (1, 5, 15 min)` +
      (load0[0] > 1 ? ': other work was running on this machine during the run, which inflates the figures.' : '.'),
    '',
  ].join('\n'));
  emit(METHOD);
  let failed = false;
  for (const name of names) {
    progress(`suite ${name}`);
    try {
      emit(await SUITES[name](o));
    } catch (e) {
      failed = true;
      emit(`## ${name}\n\nNot measured: the suite failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    }
  }
  emit(`Finished in ${fmt((Date.now() - started) / 1000)} s; load average at the end ${os.loadavg().map((l) => fmt(l)).join(', ')}.`);
  // The baseline's folders hold slapd's and SSSD's stores (hundreds of MiB at 100,000).
  if (process.env.WARD_BENCH_KEEP) progress(`SSSD baseline folders kept in ${sssdDir}`);
  else rmSync(sssdDir, { recursive: true, force: true });
  if (out) writeFileSync(out, parts.join('\n') + '\n');
  return failed ? 1 : 0;
}

// Ctrl-C or a CI timeout: exit through 'exit' handlers, which stop the daemons and baseline runs we started.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
