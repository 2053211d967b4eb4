#!/usr/bin/env node
/** The `wardd` executable: parses the command line and runs the chosen subcommand. */
import { main } from '../commands/program.js';

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`wardd: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
