/**
 * The daemon's logger: one line per event on stderr, which systemd hands to the journal. Under
 * systemd (JOURNAL_STREAM set) each line starts with a syslog priority prefix (`<4>`) so the
 * journal files it at the right level; elsewhere it carries a timestamp and the level name.
 *
 * Callers never pass secrets: requests are rendered with proto's `redactForLog`, and passwords
 * are not arguments of any log call. Control characters in a message are escaped so a crafted
 * name cannot forge a log line.
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** syslog priorities: err, warning, info, debug. */
const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export interface LogSink {
  write(line: string): unknown;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export class Logger {
  private readonly onceKeys = new Set<string>();
  private readonly journal: boolean;

  constructor(
    private level: LogLevel = 'info',
    private readonly sink: LogSink = process.stderr,
    journal = Boolean(process.env['JOURNAL_STREAM']),
  ) {
    this.journal = journal;
  }

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(msg: string): void {
    this.log('error', msg);
  }
  warn(msg: string): void {
    this.log('warn', msg);
  }
  info(msg: string): void {
    this.log('info', msg);
  }
  debug(msg: string): void {
    this.log('debug', msg);
  }

  /** Logs a message the first time `key` is seen, so a recurring condition does not flood the log. */
  once(key: string, level: LogLevel, msg: string): void {
    if (this.onceKeys.has(key)) return;
    // Bounded: a hostile stream of distinct keys must not grow memory without limit.
    if (this.onceKeys.size >= 10_000) this.onceKeys.clear();
    this.onceKeys.add(key);
    this.log(level, msg);
  }

  /** Forget a `once` key, so the condition is reported again if it comes back. */
  reset(key: string): void {
    this.onceKeys.delete(key);
  }

  private log(level: LogLevel, msg: string): void {
    if (!this.enabled(level)) return;
    const safe = msg.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    const line = this.journal ? `<${PRIORITY[level]}>${safe}\n` : `${new Date().toISOString()} ${level}: ${safe}\n`;
    this.sink.write(line);
  }
}
