#!/usr/bin/env node
/**
 * The `ward` executable: runs the CLI and leaves with its exit status. The status is set rather
 * than forced with process.exit() so that standard output drains fully into a pipe first.
 */
import { main } from '../main.js';

process.exitCode = await main(process.argv);
