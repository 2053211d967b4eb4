/**
 * The SSSD + OpenLDAP peer, measured on this machine in the same benchmark run: the benchmarks
 * call ../shared/bench/peers/run-sssd-baseline.sh (by its path relative to the repository root;
 * it is never copied into the repo) for one directory size at a time, with its state and results
 * in a temporary folder of the run (../shared is read-only in CI), and parse its results.tsv,
 * "N<TAB>metric<TAB>value" per line. Machines differ by up to 5x, so figures from another run
 * or machine are never used silently: `--sssd-results FILE` reuses a results.tsv explicitly, and
 * the report names it.
 *
 * Values look like "3.69 / 6.86 (ok 20000)", "116.2 [11.6]" or "7893.63 (rc 0) / 222.71 (rc 0)";
 * numbers() turns them into [3.69, 6.86], [116.2, 11.6] and [7893.63, 222.71].
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './paths.mjs';
import { progress } from './stats.mjs';

/** The script, relative to the repository root (the benchmarks run it with cwd = ROOT). */
export const BASELINE_SCRIPT = '../shared/bench/peers/run-sssd-baseline.sh';
/**
 * Its knobs for a bounded run on 2 cores. The enumeration phase (d.) at 100,000 never finishes
 * under SSSD's watchdog (RESULTS.md note 6: sssd_be killed 4 times in 155 s, nothing committed)
 * and costs minutes, so it is skipped above 10,000; at 10,000 its default-settings poll is cut
 * to 60 s (it never lists the users there either) while the relaxed-watchdog listing still runs.
 * nslcd (no cache) is not a row of this report.
 */
export const BASELINE_ENV = { SKIP_ENUM_ABOVE: '10000', ENUM_MAX_WAIT: '60', SKIP_NSLCD: '1' };
/** One size takes 3-8 min here; more than this is a hung run. */
const RUN_LIMIT_MS = 30 * 60_000;

/** Process groups of script runs still going: stopped (the script tears down by its trap) if we exit first. */
const running = new Set();
process.once('exit', () => {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
});

/** The numbers in a value, parenthesised notes left out, bracketed ones kept. */
export function numbers(value) {
  return value
    .replace(/\([^)]*\)/g, ' ')
    .split(/[/[\]]/)
    .map((part) => Number.parseFloat(part.trim().replace(/,/g, '')))
    .filter((n) => Number.isFinite(n));
}

/** results.tsv text into { versions, byN: Map<N string, Map<metric, raw value>> }. */
export function parseResults(text) {
  const byN = new Map();
  for (const line of text.split('\n')) {
    const cells = line.split('\t');
    if (cells.length < 3 || cells[0] === 'N') continue;
    const [n, metric, value] = cells;
    if (!byN.has(n)) byN.set(n, new Map());
    byN.get(n).set(metric, value);
  }
  return { versions: byN.get('all')?.get('versions'), byN };
}

/** A view of one size's rows; `why` says why there are none. */
function sizeView(rows, source, versions, why) {
  return {
    available: rows !== undefined,
    source,
    versions,
    why,
    /** The numbers of a metric, or undefined when the run did not record it. */
    get(metric) {
      const v = rows?.get(metric);
      return v === undefined ? undefined : numbers(v);
    },
    /** The raw value (e.g. "skipped (...)", "NEVER within ..."). */
    raw: (metric) => rows?.get(metric),
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs the script for one size in `dir` (its BENCH_DIR is dir/run, results copied to
 * dir/results); resolves { ok, seconds, text, error }. Progress lines go to stderr prefixed.
 */
async function runScript(n, dir, extraEnv) {
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    ...BASELINE_ENV,
    ...extraEnv,
    BENCH_DIR: path.join(dir, 'run'),
    RESULTS_COPY_DIR: path.join(dir, 'results'),
    LDAP_PORT: String(await freePort()),
    SSH_PORT: String(await freePort()),
  };
  const logPath = path.join(dir, 'script.log');
  const log = createWriteStream(logPath);
  const started = performance.now();
  const code = await new Promise((resolve) => {
    // Its own process group, so a run past the limit is stopped with everything it started.
    const child = spawn(BASELINE_SCRIPT, [String(n)], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) running.add(child.pid);
    const timer = setTimeout(() => {
      log.write(`\n[bench] killed after ${RUN_LIMIT_MS / 60_000} min\n`);
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }, RUN_LIMIT_MS);
    child.stdout.pipe(log, { end: false });
    let partial = '';
    child.stderr.on('data', (chunk) => {
      log.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const l of lines) if (/N=\d+ \||=====|installing|apt/.test(l)) progress(`sssd: ${l.replace(/^\[[\d:]+\]\s*/, '')}`);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      log.write(`\n[bench] ${e.message}\n`);
      resolve(-1);
    });
    child.on('close', (c) => {
      running.delete(child.pid);
      clearTimeout(timer);
      resolve(c);
    });
  });
  await new Promise((r) => log.end(r));
  const seconds = (performance.now() - started) / 1000;
  const tsv = path.join(dir, 'run', 'results.tsv');
  const text = existsSync(tsv) ? readFileSync(tsv, 'utf8') : '';
  const ok = parseResults(text).byN.has(String(n));
  const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-3).join(' | ');
  return { ok, seconds, text, error: ok ? undefined : `the script exited ${code} without rows for N=${n} (log ${logPath}: ${tail})` };
}

/**
 * The SSSD baseline of this run, one size at a time: `at(n)` runs the script for n (once per n
 * and process) unless `resultsFile` was given, in which case that file's rows are used.
 */
export class SssdBaseline {
  constructor({ workDir, resultsFile, extraEnv = {} }) {
    this.workDir = workDir;
    this.resultsFile = resultsFile;
    this.extraEnv = extraEnv;
    this.runs = new Map();
    /** Seconds each size's script run took. */
    this.seconds = new Map();
  }

  describe() {
    return this.resultsFile
      ? `read from ${this.resultsFile} (given with --sssd-results; not rerun in this run)`
      : `\`${BASELINE_SCRIPT}\` run by this benchmark on this machine just before Ward at the same size ` +
          `(${Object.entries(BASELINE_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})`;
  }

  async at(n) {
    if (!this.runs.has(n)) this.runs.set(n, this.#load(n));
    return this.runs.get(n);
  }

  async #load(n) {
    if (this.resultsFile) {
      const { versions, byN } = parseResults(readFileSync(this.resultsFile, 'utf8'));
      const rows = byN.get(String(n));
      return sizeView(rows, this.resultsFile, versions, rows ? undefined : `${this.resultsFile} has no rows for N=${n}`);
    }
    if (process.getuid?.() !== 0) return sizeView(undefined, BASELINE_SCRIPT, undefined, 'the SSSD baseline needs root');
    progress(`sssd: running ${BASELINE_SCRIPT} ${n}`);
    const r = await runScript(n, path.join(this.workDir, `sssd-${n}`), this.extraEnv);
    this.seconds.set(n, r.seconds);
    progress(`sssd: N=${n} ${r.ok ? 'done' : 'FAILED'} in ${r.seconds.toFixed(0)} s`);
    const { versions, byN } = parseResults(r.text);
    return sizeView(byN.get(String(n)), `this run (${r.seconds.toFixed(0)} s)`, versions, r.error);
  }
}
