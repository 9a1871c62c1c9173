import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../log.js';
import { Reconnector } from '../reconnect.js';

/** The ffmpeg binary: SDLIVE_FFMPEG, else "ffmpeg" on the PATH. */
export const ffmpegBinary = (): string => process.env.SDLIVE_FFMPEG || 'ffmpeg';

export const FFMPEG_MISSING_HINT = 'install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg) or set SDLIVE_FFMPEG to its path';

export interface SupervisedOptions {
  log: Logger;
  what: string;
  args: string[];
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

  constructor(private readonly opts: SupervisedOptions) {
    this.reconnect = new Reconnector({ log: opts.log, what: opts.what, minDelayMs: 500, maxDelayMs: 5000 }, () => this.spawn());
  }

  start(): void {
    void this.reconnect.run();
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private spawn(): void {
    const child = spawn(ffmpegBinary(), this.opts.args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
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
    this.opts.onStart(child);
  }

  private exited(child: ChildProcess, code: number | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopping) return;
    if (code === 0 && this.opts.endsByItself) {
      this.opts.onEnd?.();
      return;
    }
    this.reconnect.failed(this.lastError || `ffmpeg exited with code ${code}`);
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
