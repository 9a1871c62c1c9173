/** What a download reports while it runs. */
export interface FetchProgress {
  begin(totalBytes: number, files: number): void;
  file(path: string, size: number, resumedAt: number): void;
  advance(bytes: number): void;
  note(line: string): void;
  end(): void;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u += 1;
  }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const [h, m, sec] = [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60];
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function bar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Counts bytes and speed; renders per file and in total. */
class Tally {
  total = 0;
  done = 0;
  fileName = '';
  fileSize = 0;
  fileDone = 0;
  private started = Date.now();
  private startedBytes = 0;

  restartClock(): void {
    this.started = Date.now();
    this.startedBytes = this.done;
  }

  speed(): number {
    const s = (Date.now() - this.started) / 1000;
    return s > 0 ? (this.done - this.startedBytes) / s : 0;
  }

  fileLine(): string {
    return `${this.fileName} ${bar(this.fileDone, this.fileSize)} ${formatBytes(this.fileDone)} of ${formatBytes(this.fileSize)}`;
  }

  totalLine(): string {
    const speed = this.speed();
    const eta = speed > 0 ? (this.total - this.done) / speed : Infinity;
    return `total ${bar(this.done, this.total)} ${formatBytes(this.done)} of ${formatBytes(this.total)}, ${formatBytes(speed)}/s, ETA ${formatSeconds(eta)}`;
  }
}

abstract class TallyProgress implements FetchProgress {
  protected readonly t = new Tally();

  constructor(protected readonly out: NodeJS.WritableStream) {}

  begin(totalBytes: number, files: number): void {
    this.t.total = totalBytes;
    this.t.restartClock();
    this.out.write(`downloading ${files} file(s), ${formatBytes(totalBytes)}\n`);
  }

  file(path: string, size: number, resumedAt: number): void {
    Object.assign(this.t, { fileName: path, fileSize: size, fileDone: resumedAt });
    if (resumedAt > 0) this.note(`${path}: resuming at ${formatBytes(resumedAt)}`);
  }

  advance(bytes: number): void {
    this.t.done += bytes;
    this.t.fileDone += bytes;
  }

  abstract note(line: string): void;
  abstract end(): void;
}

/** Two bars redrawn in place (the file, the total) on a terminal. */
export class TtyProgress extends TallyProgress {
  private drawn = false;
  private lastDraw = 0;

  override advance(bytes: number): void {
    super.advance(bytes);
    if (Date.now() - this.lastDraw >= 100 || this.t.fileDone >= this.t.fileSize) this.draw();
  }

  note(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }

  end(): void {
    if (this.t.total > 0) this.draw();
    this.drawn = false;
  }

  private clear(): void {
    if (this.drawn) this.out.write('\x1b[1A\x1b[2K\r\x1b[1A\x1b[2K\r');
    this.drawn = false;
  }

  private draw(): void {
    this.clear();
    this.out.write(`${this.t.fileLine()}\n${this.t.totalLine()}\n`);
    this.drawn = true;
    this.lastDraw = Date.now();
  }
}

/** Plain lines (a log, a pipe): one every few seconds and one per finished file. */
export class LineProgress extends TallyProgress {
  private lastLine = Date.now();

  constructor(out: NodeJS.WritableStream, private readonly everyMs = 5000) {
    super(out);
  }

  override advance(bytes: number): void {
    super.advance(bytes);
    const fileDone = this.t.fileDone >= this.t.fileSize;
    if (fileDone || Date.now() - this.lastLine >= this.everyMs) {
      this.out.write(`${this.t.fileLine()}; ${this.t.totalLine()}\n`);
      this.lastLine = Date.now();
    }
  }

  note(line: string): void {
    this.out.write(`${line}\n`);
  }

  end(): void {}
}

export function progressFor(stream: NodeJS.WriteStream = process.stderr): FetchProgress {
  return stream.isTTY ? new TtyProgress(stream) : new LineProgress(stream);
}
