/**
 * Small shared pieces of the benchmarks: percentiles, number formatting, a process's memory and
 * CPU time from /proc, machine facts, progress lines (stderr, so stdout stays the report) and a
 * markdown table printer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Nearest-rank percentile (q in 0..1) of unsorted samples. */
export function percentile(samples, q) {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export const median = (samples) => percentile(samples, 0.5);

/** A number with about 3 significant digits, thousands separated: 0.0123, 4.56, 789, 12,345. */
export function fmt(v, digits = 3) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  const decimals = abs === 0 ? 0 : Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  return v.toFixed(Math.min(decimals, 4));
}

/** ours / theirs as "0.42×"; lower is better for times and memory. */
export function ratio(ours, theirs) {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return '–';
  return `${fmt(ours / theirs, 2)}×`;
}

/** VmRSS, VmHWM and RssAnon of a process, in MiB (undefined fields when it is gone). */
export function memoryOf(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: NaN, hwm: NaN, anon: NaN };
  }
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024, anon: kib('RssAnon') / 1024 };
}

const TICK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine has spent busy (every state but idle and iowait) since boot. */
export function machineBusySeconds() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + steal) / TICK;
  } catch {
    return NaN;
  }
}

/** Samples a process's memory every intervalMs until stopped; resolves the maximum RSS seen. */
export function sampleMemory(pid, intervalMs = 100) {
  let max = memoryOf(pid).rss;
  const timer = setInterval(() => {
    const m = memoryOf(pid).rss;
    if (m > max) max = m;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const m = memoryOf(pid).rss;
      return m > max ? m : max;
    },
  };
}

/** "hyperfine 1.15.0", or undefined when it is not installed. */
export function hyperfineVersion() {
  try {
    return execFileSync('hyperfine', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function machineInfo() {
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  const virt = (() => {
    try {
      return execFileSync('systemd-detect-virt', { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  })();
  return {
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.availableParallelism()}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: osRelease,
    kernel: os.release(),
    node: process.version,
    virt,
  };
}

export function progress(text) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

/** A markdown table. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
