/**
 * A stop signal at the earliest moment a daemon can be seen starting: the inotify event of a
 * file it creates while it starts (a socket, a lock). A service manager may stop a daemon at
 * any time, so the daemon must then exit 0 and remove what it made, not die of the signal's
 * default action half-started. Used by the stop tests of wardd, ward-unixd and its tasks helper.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { watch } from 'node:fs';
import path from 'node:path';

export interface StopOutcome {
  /** Whether the file appeared and the signal was sent. */
  sent: boolean;
  code: number | null;
  signal: string | null;
  stderr: string;
}

/** Runs `argv`, sends SIGTERM as soon as `file` appears, resolves when the process has exited. */
export function sigtermWhenFileAppears(argv: string[], file: string, opts: SpawnOptions = {}): Promise<StopOutcome> {
  const [cmd, ...args] = argv;
  const proc = spawn(cmd!, args, { ...opts, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  let sent = false;
  const watcher = watch(path.dirname(file), (_e, name) => {
    if (sent || name !== path.basename(file)) return;
    sent = true;
    proc.kill('SIGTERM');
  });
  return new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      watcher.close();
      resolve({ sent, code, signal, stderr });
    });
  });
}
