#!/usr/bin/env node
/** `ward-unix`: status and cache control of ward-unixd (see cli/ward-unix.ts). */
import { main } from '../cli/ward-unix.js';

main(process.argv.slice(2), {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`ward-unix: ${e.message}\n`);
    process.exitCode = 1;
  },
);
