/**
 * @ward/cli as a library: the entry point of the `ward` command and its building blocks, for
 * embedding the CLI (e.g. in the demo) or testing its parts.
 */
export { main } from './main.js';
export { buildProgram, type Runtime } from './program.js';
export { EXIT, EXIT_FOR_ERROR } from './exit-codes.js';
export { TokenCache, defaultCachePath, type CachedToken } from './token-cache.js';
