/**
 * Reads the service-account API token the daemon presents to the IdP. The token grants
 * directory reads, so the file must be private: a file other users can read, write or execute
 * is refused (the daemon then does not start), as sshd refuses a world-readable private key.
 */
import { openSync, fstatSync, readSync, closeSync, constants } from 'node:fs';
import { ConfigError } from './load.js';

/** API tokens are a few hundred bytes; anything much larger is the wrong file. */
const TOKEN_MAX_BYTES = 8192;

export function readToken(file: string): string {
  let fd: number;
  try {
    // O_NOFOLLOW: the checked file is the file read, not whatever a symlink points to later.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw new ConfigError(`token_path: cannot open ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ConfigError(`token_path: ${file} is not a regular file`);
    if (st.mode & 0o007) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new ConfigError(`token_path: ${file} is accessible by other users (mode ${mode}); run: chmod o-rwx ${file}`);
    }
    if (st.size > TOKEN_MAX_BYTES) throw new ConfigError(`token_path: ${file} is larger than ${TOKEN_MAX_BYTES} bytes`);
    const buf = Buffer.alloc(TOKEN_MAX_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const token = buf.subarray(0, n).toString('utf8').trim();
    buf.fill(0);
    if (!token) throw new ConfigError(`token_path: ${file} is empty`);
    if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError(`token_path: ${file} must hold one token on one line`);
    return token;
  } finally {
    closeSync(fd);
  }
}
