/**
 * Measuring tools of the host benchmark, all run inside the Ward namespace (namespace.mjs):
 * the C lookup loop (../nss_bench.c, compiled here with the project's strict flags), whole-process
 * timings with hyperfine when it is installed (as the SSSD baseline did: `hyperfine -N`, median)
 * and otherwise nss_bench's own fork/exec loop, and one-shot timings.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.mjs';
import { hyperfineVersion, percentile } from './stats.mjs';

const SOURCE = path.join(ROOT, 'test/bench/nss_bench.c');

export function compileBench(dir) {
  const out = path.join(dir, 'nss_bench');
  execFileSync('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-o', out, SOURCE], { stdio: 'pipe' });
  return out;
}

/** "a=1 b=x" lines into objects, numbers parsed. */
export function parseKv(text) {
  return text.trim().split('\n').filter((l) => l.includes('=')).map((line) => {
    const o = {};
    for (const part of line.trim().split(/\s+/)) {
      const i = part.indexOf('=');
      const v = part.slice(i + 1);
      o[part.slice(0, i)] = v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    return o;
  });
}

async function must(ns, argv) {
  const r = await ns.run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export class HostTools {
  constructor(ns, bench, dir) {
    this.ns = ns;
    this.bench = bench;
    this.dir = dir;
    this.hyperfine = hyperfineVersion();
  }

  /** The C loop: one result object per op, keyed by op name. */
  async lookups(users, groups, mode, k, w, seed) {
    const rows = parseKv(await must(this.ns, [this.bench, 'lookup', users, groups, mode, String(k), String(w), String(seed)]));
    return Object.fromEntries(rows.map((r) => [r.op, r]));
  }

  /** Whole-process time of argv, warm: { median, p90, runs, method }. */
  async wholeProcess(argv, runs = 30, warmup = 3) {
    if (this.hyperfine) {
      const json = path.join(this.dir, 'hyperfine.json');
      await must(this.ns, ['hyperfine', '-N', '--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', json, argv.join(' ')]);
      const times = JSON.parse(readFileSync(json, 'utf8')).results[0].times.map((s) => s * 1000);
      return { median: percentile(times, 0.5), p90: percentile(times, 0.9), runs, method: 'hyperfine -N' };
    }
    await must(this.ns, [this.bench, 'exec', String(warmup), '-', ...argv]);
    const [r] = parseKv(await must(this.ns, [this.bench, 'exec', String(runs), '-', ...argv]));
    return { median: r.median_ms, p90: r.p90_ms, runs, method: 'fork+exec loop' };
  }

  /** One run of argv per name ("{}" in argv), in order: { first, median, ok, runs }. */
  async eachName(names, argv) {
    const file = path.join(this.dir, `names-${names[0]}.txt`);
    writeFileSync(file, names.join('\n') + '\n');
    const [r] = parseKv(await must(this.ns, [this.bench, 'exec', String(names.length), file, ...argv]));
    return { first: r.first_ms, median: r.median_ms, ok: r.ok, runs: r.runs };
  }

  /** One timed run of argv: { ms, rc }. */
  async once(argv) {
    const [r] = parseKv(await must(this.ns, [this.bench, 'exec', '1', '-', ...argv]));
    return { ms: r.first_ms, rc: r.rc };
  }

  /** The number of lines argv prints. */
  async lineCount(argv) {
    const r = await this.ns.run(argv);
    return r.stdout.split('\n').filter(Boolean).length;
  }
}
