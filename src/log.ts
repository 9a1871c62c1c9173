import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { MetricFamily } from './http/metrics.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Lines waiting for a slow or stalled stderr (a paused terminal, a reader that stopped); beyond this they are dropped. */
const PENDING_LIMIT_BYTES = 1 << 20;
/** How long exit keeps trying to write the lines still waiting for a stalled stderr. */
const EXIT_FLUSH_MS = 500;

/** What became of the log lines written to stderr: counted for /metrics. */
export const stderrLog = { pendingBytes: 0, droppedLines: 0 };

let exitDeadline = Infinity;
let lastProgressAt = 0;
let destination: ReturnType<typeof pino.destination> | undefined;

/**
 * One asynchronous writer on fd 2 for the process: a log line never waits for the reader, so a stalled stderr
 * cannot stall OSC or frames. pino flushes it synchronously as the process exits: for EXIT_FLUSH_MS at most, and not
 * at all when the reader has stopped taking anything (a blocking write would never return).
 */
function stderrDestination(): ReturnType<typeof pino.destination> {
  if (destination) return destination;
  const dest = pino.destination({ dest: 2, sync: false, maxLength: PENDING_LIMIT_BYTES, retryEAGAIN: () => Date.now() < exitDeadline });
  dest.on('write', (n: number) => {
    stderrLog.pendingBytes = Math.max(0, stderrLog.pendingBytes - n);
    lastProgressAt = Date.now();
  });
  dest.on('drop', () => stderrLog.droppedLines++);
  dest.on('error', () => undefined); // stderr gone, or given up at exit: nothing is left to tell
  const flushSync = dest.flushSync.bind(dest);
  dest.flushSync = () => {
    if (stderrLog.pendingBytes > 0 && Date.now() - lastProgressAt > EXIT_FLUSH_MS) return;
    exitDeadline = Date.now() + EXIT_FLUSH_MS;
    try {
      flushSync();
    } catch {
      // the reader did not read within EXIT_FLUSH_MS: the lines still waiting are lost
    }
  };
  destination = dest;
  return dest;
}

/** A terminal gets one line per record, except a summary (logged with `summary: true`), which gets a line per field. */
function terminalFormat(): (line: string) => string {
  const options = { colorize: true, translateTime: 'HH:MM:ss.l' };
  const compact = prettyFactory({ ...options, singleLine: true });
  const block = prettyFactory({ ...options, ignore: 'summary,http' });
  return (line) => (line.includes('"summary":true') ? block(line) : compact(line));
}

function stderrStream(pretty: boolean): { write(line: string): void } {
  const dest = stderrDestination();
  const format = pretty ? terminalFormat() : (line: string) => line;
  return {
    write(line) {
      const text = format(line);
      const dropped = stderrLog.droppedLines;
      if (stderrLog.pendingBytes === 0) lastProgressAt = Date.now(); // progress is measured from the first line waiting
      dest.write(text);
      if (stderrLog.droppedLines === dropped) stderrLog.pendingBytes += Buffer.byteLength(text);
    },
  };
}

/** `/metrics` families: a terminal that stopped reading shows as bytes pending, then as lines dropped. */
export function logMetricFamilies(): MetricFamily[] {
  return [
    { name: 'log_pending_bytes', type: 'gauge', help: 'Log bytes waiting for stderr to be read', samples: [[{}, stderrLog.pendingBytes]] },
    { name: 'log_dropped_lines_total', type: 'counter', help: 'Log lines dropped because stderr was not read fast enough', samples: [[{}, stderrLog.droppedLines]] },
  ];
}

/** Logs go to stderr so stdout stays free for data (`schema --json`, `raw:-` frames); readable on a TTY, JSON when piped. */
export function createLogger(level: LogLevel = 'info', pretty = process.stderr.isTTY === true): Logger {
  return pino({ level, base: undefined }, stderrStream(pretty));
}

/** Re-logs a JSON line another thread's pino wrote (a pipeline worker's) through `log`: same format, same destination. */
export function relayLogLine(log: Logger, line: string): void {
  const { level, time: _time, msg, ...fields } = JSON.parse(line) as { level: number; time?: number; msg?: string };
  const label = (log.levels.labels[level] ?? 'info') as pino.Level;
  log[label](fields, msg);
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
