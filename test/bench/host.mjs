/**
 * The host benchmark (issue 9 §5, on issue 3 §8's rows): at each size (1,000, 10,000, 100,000
 * persons by default; `--sizes` picks some), first the SSSD + OpenLDAP baseline script on this
 * machine (lib/sssd.mjs), then Ward's host stack at the same size (lib/host-scale.mjs), one after
 * the other so the two never share the CPU. The report (lib/host-report.mjs) puts each of our rows
 * beside SSSD's from this run. When 10,000 is among the sizes, the detail rows of issue 3 follow
 * (host-detail.mjs: cold caches, users the cache never saw, the IdP hung).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runHostDetail } from './host-detail.mjs';
import { hostReport } from './lib/host-report.mjs';
import { measureWardAt } from './lib/host-scale.mjs';
import { hostUnavailable } from './lib/namespace.mjs';
import { fmt, progress, table } from './lib/stats.mjs';

export const HOST_SIZES = [1_000, 10_000, 100_000];
const TITLE = '## Host at scale (`ward-unixd`, `libnss_ward.so.2`) beside SSSD + OpenLDAP';

/** `baseline`: the run's SssdBaseline; `sizes`: persons per size; `detail`: issue 3's rows at 10,000. */
export async function runHostBench({ baseline, sizes = HOST_SIZES, detail = true }) {
  const why = hostUnavailable();
  if (why) return `${TITLE}\n\nNot measured: ${why}.\n`;
  const results = [];
  const timing = [];
  for (const n of sizes) {
    const t0 = performance.now();
    const sssd = await baseline.at(n);
    const t1 = performance.now();
    const work = mkdtempSync(path.join(tmpdir(), `ward-bench-host-${n}-`));
    let ward;
    try {
      ward = await measureWardAt(n, work);
    } catch (e) {
      ward = { error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
      progress(`host N=${n}: ${ward.error}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    results.push({ n, sssd, ward });
    timing.push([n.toLocaleString('en-US'), baseline.resultsFile ? 'not run (--sssd-results)' : fmt((t1 - t0) / 1000), fmt((performance.now() - t1) / 1000)]);
  }
  const out = [TITLE, '', hostReport(results, baseline.describe())];
  out.push('### How long each part took (s)\n');
  out.push(table(['N', 'SSSD baseline script', 'Ward (load, sync, measure)'], timing));
  out.push('');
  if (detail && sizes.includes(10_000)) {
    progress('host: detail rows at 10,000');
    out.push(await runHostDetail(await baseline.at(10_000), baseline.describe()));
  }
  return out.join('\n');
}
