/**
 * Reading a secret the way Unix tools do, for every Ward command that needs one (`ward`'s
 * logins and password changes, `ward-unix auth-test`): a prompt without echo when standard
 * input is a terminal, otherwise one line from standard input, so scripts can pipe it in and
 * nothing ever goes on the command line, where every user of the host can read it in /proc.
 * Prompts go to standard error so that standard output stays clean for scripts. Bad input is a
 * WardError (bad_request, or invalid_password for an over-long secret); Ctrl-C at a prompt is
 * Interrupted, which a command turns into exit status 130 as a shell would.
 */
import type { ReadStream } from 'node:tty';
import { WardError } from '../errors.js';

/** Longer lines are refused instead of buffered without bound. */
const MAX_LINE_BYTES = 64 * 1024;

/** Thrown when the user ends a prompt with Ctrl-C; main() exits 130 as a shell would. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export function stdinIsTerminal(): boolean {
  return process.stdin.isTTY === true;
}

/** Read standard input up to its first newline (or its end), without the line ending. */
export function readStdinLine(what: string): Promise<string> {
  return readStdin(what, true);
}

/** Read all of standard input (a few KiB at most), without the final line ending. */
export function readStdinAll(what: string): Promise<string> {
  return readStdin(what, false);
}

function readStdin(what: string, oneLine: boolean): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      input.destroy();
      if (error) return reject(error);
      let text = Buffer.concat(chunks).toString('utf8');
      const newline = text.indexOf('\n');
      if (oneLine && newline >= 0) text = text.slice(0, newline);
      resolve(text.replace(/\r?\n$/, '').replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_LINE_BYTES) return finish(new WardError('bad_request', `the ${what} on standard input is too long`));
      if (oneLine && chunk.includes(0x0a)) finish();
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(new WardError('bad_request', `cannot read the ${what} from standard input: ${e.message}`));
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

/** Prompt on the terminal without echo. Backspace and Ctrl-U edit, Ctrl-C interrupts. */
export function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin as ReadStream;
  // Echo goes off before the prompt shows, so nothing typed after the prompt is ever echoed.
  input.setRawMode(true);
  input.setEncoding('utf8');
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(chars.join(''));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new Interrupted());
        if (ch === '\u0004') {
          if (chars.length === 0) return finish(new WardError('bad_request', 'no input'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') chars.pop();
        else if (ch === '\u0015') chars = [];
        else if (ch >= ' ') chars.push(ch);
        if (chars.length > 4096) return finish(new WardError('bad_request', 'the input is too long'));
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

export interface SecretOptions {
  /** What the secret is, for prompts and messages: "password for idm_admin". */
  what: string;
  /** Ask twice on a terminal and insist on the same answer (for setting a new secret). */
  confirm?: boolean;
}

/** A secret from a no-echo prompt on a terminal, else from the first line of standard input. */
export async function readSecret(opts: SecretOptions): Promise<string> {
  let secret: string;
  if (stdinIsTerminal()) {
    secret = await promptHidden(`${capitalize(opts.what)}: `);
    if (opts.confirm && secret.length > 0) {
      const again = await promptHidden(`Repeat the ${opts.what}: `);
      if (again !== secret) throw new WardError('bad_request', `the two entries of the ${opts.what} differ; nothing was changed`);
    }
  } else {
    secret = await readStdinLine(opts.what);
  }
  if (secret.length === 0) throw new WardError('bad_request', `no ${opts.what} given (empty input)`);
  if (secret.length > 1024) throw new WardError('invalid_password', `the ${opts.what} is longer than 1024 characters`);
  return secret;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
