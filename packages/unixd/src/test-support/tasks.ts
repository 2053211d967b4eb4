/**
 * The real `ward-unixd-tasks` (built dist/) beside a test's ward-unixd: started as root, as in
 * production, reading the same config file, so its tasks_socket lands in the daemon's run
 * folder. That folder belongs to `nobody` (harness.ts), so the tasks daemon hands its socket
 * (mode 0600) to nobody, and ward-unixd, running as nobody, is the one user besides root that
 * can connect: the production permission model.
 *
 * home_prefix and the skeleton are held to root's rules (owned by root all the way from `/`,
 * not writable by others), so they live in a root-owned temporary folder, never in the
 * daemon's nobody-owned one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diesWithParent } from '@ward/server/testing';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TASKS_BIN = path.join(PKG, 'dist/bin/ward-unixd-tasks.js');

/** Killed with the test process if a failed test left it running. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface HomeTree {
  /** The home_prefix directory (no trailing slash); give `${prefix}/` to the config. */
  prefix: string;
  skel: string;
  /** What the skeleton holds: relative path -> content. */
  skelFiles: Record<string, string>;
  cleanup(): void;
}

/** A root-owned folder holding an empty home_prefix and a small skeleton. */
export function homeTree(): HomeTree {
  const dir = mkdtempSync(path.join(tmpdir(), 'ward-homes-'));
  chmodSync(dir, 0o755);
  const prefix = path.join(dir, 'home');
  const skel = path.join(dir, 'skel');
  mkdirSync(prefix, 0o755);
  mkdirSync(path.join(skel, '.config'), { recursive: true, mode: 0o755 });
  const skelFiles = { '.profile': '# from the test skeleton\n', '.config/editor': 'nano\n' };
  for (const [rel, text] of Object.entries(skelFiles)) writeFileSync(path.join(skel, rel), text, { mode: 0o644 });
  return { prefix, skel, skelFiles, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TasksHandle {
  readonly proc: ChildProcess | undefined;
  output(): string;
  /** Starts it (again) and resolves once it listens. */
  start(): Promise<void>;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(): Promise<number | null>;
}

export async function startTasks(configPath: string, skel: string): Promise<TasksHandle> {
  let proc: ChildProcess | undefined;
  let out = '';
  const handle: TasksHandle = {
    get proc() {
      return proc;
    },
    output: () => out,
    start() {
      const [cmd, ...args] = diesWithParent([process.execPath, TASKS_BIN, '-c', configPath, '--skel', skel]);
      const c = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      proc = c;
      children.add(c);
      const before = out.length;
      c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      return new Promise<void>((resolve, reject) => {
        const onExit = (code: number | null) => {
          children.delete(c);
          reject(new Error(`ward-unixd-tasks exited with ${code}: ${out.slice(before)}`));
        };
        c.once('exit', onExit);
        const poll = () => {
          if (out.slice(before).includes('listening on')) {
            c.off('exit', onExit);
            c.once('exit', () => children.delete(c));
            resolve();
          } else if (c.exitCode === null) setTimeout(poll, 20);
        };
        poll();
      });
    },
    stop() {
      const c = proc;
      if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c?.exitCode ?? null);
      return new Promise((resolve) => {
        c.once('exit', (code) => resolve(code));
        c.kill('SIGCONT'); // a test may have stopped it
        c.kill('SIGTERM');
      });
    },
  };
  await handle.start();
  return handle;
}
