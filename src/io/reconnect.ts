import type { Logger } from '../log.js';
import { errorLine } from '../errors.js';

export interface ReconnectOptions {
  log: Logger;
  /** What is being reconnected, for the log line ("shm:sdlive-in"). */
  what: string;
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Retries an attempt with exponential back-off until it succeeds or stop() is called. One warning when an
 * outage starts and one info line when it ends: a dead sender never floods the log.
 */
export class Reconnector {
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  attempts = 0;

  constructor(private readonly opts: ReconnectOptions, private readonly attempt: () => Promise<void> | void) {
    this.delayMs = opts.minDelayMs ?? 250;
  }

  /** Runs the attempt now; on failure schedules the next one. */
  async run(): Promise<boolean> {
    if (this.stopped) return false;
    this.attempts++;
    try {
      await this.attempt();
      this.succeeded();
      return true;
    } catch (e) {
      this.failed(errorLine(e));
      return false;
    }
  }

  /** Reports a connection lost after it was up (a process died, a sender closed) and schedules a retry. */
  failed(reason: string): void {
    if (this.stopped) return;
    if (!this.failing) this.opts.log.warn({ io: this.opts.what, reason }, 'frame transport lost; holding the last frame and retrying');
    this.failing = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.delayMs);
    this.timer.unref();
    this.delayMs = Math.min(this.opts.maxDelayMs ?? 5000, this.delayMs * 2);
  }

  private succeeded(): void {
    if (this.failing) this.opts.log.info({ io: this.opts.what, attempts: this.attempts }, 'frame transport reconnected');
    this.failing = false;
    this.delayMs = this.opts.minDelayMs ?? 250;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
