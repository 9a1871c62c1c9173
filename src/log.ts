import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Logs go to stderr so stdout stays free for data (`schema --json`, `raw:-` frames); readable on a TTY, JSON when piped. */
export function createLogger(level: LogLevel = 'info', pretty = process.stderr.isTTY === true): Logger {
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Wraps a repeated warning so a flood (bad OSC, a dead sender) logs once per interval with a count,
 * never once per event.
 */
export function rateLimited(log: Logger, intervalMs = 5000): (key: string, msg: string, extra?: object) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key, msg, extra = {}) => {
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed++;
      return;
    }
    log.warn({ ...extra, suppressed: seen?.suppressed ?? 0 }, msg);
    last.set(key, { at: now, suppressed: 0 });
  };
}
