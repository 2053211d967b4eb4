/**
 * The SSSD + OpenLDAP peer baseline measured on this kind of machine by
 * /work/shared/bench/peers/run-sssd-baseline.sh (read, never run, by the benchmarks): its raw
 * results.tsv, "N<TAB>metric<TAB>value" per line. Values look like "3.69 / 6.86 (ok 20000)",
 * "116.2 [11.6]" or "7893.63 (rc 0) / 222.71 (rc 0)"; numbers() turns them into [3.69, 6.86],
 * [116.2, 11.6] and [7893.63, 222.71].
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.mjs';

export const PEER_DIR = path.resolve(ROOT, '../shared/bench/peers');
export const RESULTS = path.join(PEER_DIR, 'last-run/results.tsv');

/** The numbers in a value, parenthesised notes left out, bracketed ones kept. */
export function numbers(value) {
  return value
    .replace(/\([^)]*\)/g, ' ')
    .split(/[/[\]]/)
    .map((part) => Number.parseFloat(part.trim().replace(/,/g, '')))
    .filter((n) => Number.isFinite(n));
}

export function loadBaseline(preferredN = 10_000) {
  if (!existsSync(RESULTS)) return { available: false, n: undefined, get: () => undefined, versions: undefined };
  const rows = readFileSync(RESULTS, 'utf8').split('\n').map((l) => l.split('\t')).filter((c) => c.length >= 3);
  const byN = new Map();
  for (const [n, metric, value] of rows) {
    if (!byN.has(n)) byN.set(n, new Map());
    byN.get(n).set(metric, value);
  }
  const n = byN.has(String(preferredN)) ? String(preferredN) : byN.has('1000') ? '1000' : undefined;
  return {
    available: n !== undefined,
    n: n === undefined ? undefined : Number(n),
    versions: byN.get('all')?.get('versions'),
    /** The numbers of a metric at the chosen N, or undefined when the run did not record it. */
    get(metric) {
      const v = n === undefined ? undefined : byN.get(n)?.get(metric);
      return v === undefined ? undefined : numbers(v);
    },
  };
}
