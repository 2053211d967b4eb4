/**
 * A separate process that asks ward-unixd for STATUS over and over (one connection per call, as
 * the NSS module connects) while the host benchmark watches a sync, and reports how long the
 * daemon kept a caller waiting: the longest single call and the longest gap between two answers.
 * It runs apart from the benchmark's own process so that the benchmark's work (JSON, timers)
 * never delays the probe and is never mistaken for a stall of the daemon.
 *
 * Started with fork(thisFile, [socketPath]) before the daemon: it says 'ready' once loaded, and
 * counts nothing until the daemon first answers (the socket does not exist before). Send it
 * 'stop' and it answers one message with its figures, then exits.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.mjs';

const { callSocket } = await import(pathToFileURL(path.join(ROOT, 'packages/proto/dist/node/index.js')).href);

const socket = process.argv[2];
/** A call that waits longer than this is counted as failed (the NSS module gives up after 1 s). */
const CALL_LIMIT_MS = 10_000;
/** Pause between calls: ~100 calls a second, enough to see a stall of a few ms. */
const PAUSE_MS = 10;

let running = true;
const latencies = [];
let errors = 0;
let firstError;
let maxGap = 0;
let lastAnswer;

process.on('message', (m) => {
  if (m === 'stop') running = false;
});

process.send('ready');
while (running) {
  const t0 = performance.now();
  try {
    await callSocket(socket, 'STATUS', {}, { timeoutMs: CALL_LIMIT_MS });
    const t1 = performance.now();
    latencies.push(t1 - t0);
    if (lastAnswer !== undefined) maxGap = Math.max(maxGap, t1 - lastAnswer);
    lastAnswer = t1;
  } catch (e) {
    if (lastAnswer === undefined) {
      // Not listening yet.
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      continue;
    }
    errors += 1;
    firstError ??= e instanceof Error ? e.message : String(e);
    latencies.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, PAUSE_MS));
}

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(q * latencies.length) - 1))];
process.send(
  { calls: latencies.length, errors, firstError, maxMs: latencies.at(-1), p99Ms: at(0.99), p50Ms: at(0.5), maxGapMs: maxGap - PAUSE_MS },
  () => process.exit(0),
);
