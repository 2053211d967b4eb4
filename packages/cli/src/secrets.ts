/**
 * How `ward` reads secrets and other long input without putting them on the command line. The
 * secret prompt (no echo on a terminal, else one line of standard input) is shared with the
 * host tools and lives in @ward/proto/node; this file adds `ward`'s text arguments (`-`, `@file`).
 */
import { readFileSync, statSync } from 'node:fs';
import { WardError } from '@ward/proto';
import { readStdinAll, stdinIsTerminal } from '@ward/proto/node';

export { Interrupted, readSecret } from '@ward/proto/node';

/** Text given as an argument, `-` for standard input, or `@path` for a file's content. */
export async function readTextArgument(value: string, what: string, maxBytes: number): Promise<string> {
  let text: string;
  if (value === '-') {
    if (stdinIsTerminal()) process.stderr.write(`Paste the ${what}, then press Ctrl-D:\n`);
    text = await readStdinAll(what);
  } else if (value.startsWith('@')) {
    const path = value.slice(1);
    try {
      if (statSync(path).size > maxBytes) throw new WardError('bad_request', `${path} is larger than a ${what} can be`);
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if (e instanceof WardError) throw e;
      throw new WardError('bad_request', `cannot read the ${what} from ${path}: ${(e as Error).message}`);
    }
  } else {
    text = value;
  }
  text = text.trim();
  if (Buffer.byteLength(text) > maxBytes) throw new WardError('bad_request', `the ${what} is longer than ${maxBytes} bytes`);
  return text;
}
