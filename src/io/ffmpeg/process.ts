import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../log.js';
import { Reconnector } from '../reconnect.js';

/** The ffmpeg binary: SDLIVE_FFMPEG, else "ffmpeg" on the PATH. */
export const ffmpegBinary = (): string => process.env.SDLIVE_FFMPEG || 'ffmpeg';

/** An output ffmpeg that has run this long has opened its file or stream. */
export const ALIVE_MS = 2000;

export const FFMPEG_MISSING_HINT = 'install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg) or set SDLIVE_FFMPEG to its path';

export interface SupervisedOptions {
  log: Logger;
  what: string;
  /** The command line of the n-th start (0 the first). */
  args(start: number): string[];
  /**
   * When a start counts as up: 'output' at ffmpeg's first stdout bytes (an input), 'alive' once it has run
   * for ALIVE_MS (an output). Until then an exit is a failed attempt and the back-off keeps growing.
   */
  upWhen: 'output' | 'alive';
  /** Longest wait between two starts (default 5 s). */
  maxDelayMs?: number;
  /** ffmpeg exiting 0 on its own is the end of the input, not a failure. */
  endsByItself?: boolean;
  onStart(child: ChildProcess): void;
  onEnd?(): void;
}

/**
 * Runs ffmpeg and keeps it running: a crash, a missing binary or a dead stream restarts it with back-off
 * (one warning per outage, with ffmpeg's last stderr line). stop() ends it cleanly: stdin closed, then
 * SIGTERM, then SIGKILL.
 */
export class SupervisedFfmpeg {
  child: ChildProcess | undefined;
  private stopping = false;
  private readonly reconnect: Reconnector;
  private lastError = '';
  private starts = 0;
  /** Settles the attempt in flight: resolved when ffmpeg is up, rejected when it exits before. */
  private pending: { resolve(): void; reject(e: Error): void } | undefined;

  constructor(private readonly opts: SupervisedOptions) {
    this.reconnect = new Reconnector({ log: opts.log, what: opts.what, minDelayMs: 500, maxDelayMs: opts.maxDelayMs ?? 5000 }, () => this.spawn());
  }

  start(): void {
    void this.reconnect.run();
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private spawn(): Promise<void> {
    const child = spawn(ffmpegBinary(), this.opts.args(this.starts++), { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    this.child = child;
    this.lastError = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      const line = text.trim().split('\n').pop();
      if (line) this.lastError = line.slice(0, 300);
    });
    child.stdin!.on('error', () => undefined);
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') this.lastError = `ffmpeg not found ("${ffmpegBinary()}"): ${FFMPEG_MISSING_HINT}`;
      else this.lastError = e.message;
      this.exited(child, null);
    });
    child.once('exit', (code) => this.exited(child, code));
    const up = new Promise<void>((resolve, reject) => (this.pending = { resolve, reject }));
    const settleUp = () => {
      if (this.child === child) this.settle();
    };
    if (this.opts.upWhen === 'output') child.stdout!.once('data', settleUp);
    else setTimeout(settleUp, ALIVE_MS).unref();
    this.opts.onStart(child);
    return up;
  }

  private settle(error?: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    if (error) pending?.reject(error);
    else pending?.resolve();
  }

  private exited(child: ChildProcess, code: number | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const reason = this.lastError || `ffmpeg exited with code ${code}`;
    if (code === 0 && this.opts.endsByItself && !this.stopping) {
      this.settle();
      this.opts.onEnd?.();
    } else if (this.pending) this.settle(new Error(reason));
    else if (!this.stopping) this.reconnect.failed(reason);
  }

  /** Kills a running ffmpeg (a stalled stream); the supervisor restarts it. */
  restart(why: string): void {
    this.lastError = why;
    this.child?.kill('SIGKILL');
  }

  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    this.reconnect.stop();
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin!.end();
    const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + 1000);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }
}
