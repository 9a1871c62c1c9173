import { EventEmitter } from 'node:events';
import { errorLine, SdliveError } from '../errors.js';
import type { Frame } from '../io/frame.js';
import type { FrameSink, IoStats } from '../io/transport.js';
import type { Logger } from '../log.js';

/** An output's stats; `recording`: it keeps every fresh frame (a file), as opposed to a live output. */
export type SinkStats = IoStats & { spec: string; recording: boolean };

const statsOf = (sink: FrameSink): SinkStats => ({ spec: sink.spec, recording: sink.recording === true, ...sink.stats() });

/** An output as `output/remove` names it: its spec, or its position in `output/list` (from 0). */
export type OutputRef = string | number;

/**
 * The engine's outputs, fixed at start-up or added and removed while the show runs. Adding opens the sink
 * before it joins (a failure is one warning and a refusal, the other outputs never wait); removing takes it out
 * between two frames and then closes it, so a recording gets every frame up to that point and flushes its queue.
 * 'added' and 'removed' fire at the moment a sink joins or leaves the frame loop.
 */
export class EngineOutputs extends EventEmitter<{ added: [FrameSink]; removed: [FrameSink] }> {
  private readonly sinks: FrameSink[];
  /** Removed sinks still writing what they queued: their frames' buffers must not be recycled yet. */
  private readonly closing = new Map<FrameSink, Promise<void>>();
  private closed = false;
  /** Specs being opened: a second add of the same spec meanwhile is refused like a duplicate. */
  private readonly opening = new Set<string>();

  constructor(sinks: readonly FrameSink[], private readonly open: (spec: string) => Promise<FrameSink>, private readonly log: Logger) {
    super();
    this.sinks = [...sinks];
  }

  /** Some sink, open or still closing, may read a frame's data after write() returned. */
  get retainsFrames(): boolean {
    return this.sinks.some((s) => s.retainsFrames) || [...this.closing.keys()].some((s) => s.retainsFrames);
  }

  get recording(): boolean {
    return this.sinks.some((s) => s.recording === true);
  }

  get list(): readonly FrameSink[] {
    return this.sinks;
  }

  /** Recordings get fresh frames only, never held repeats. */
  write(frame: Frame, fresh: boolean): void {
    for (const sink of this.sinks) if (fresh || !sink.recording) sink.write(frame);
  }

  stats(): SinkStats[] {
    return this.sinks.map((s) => statsOf(s));
  }

  /** Opens `spec` and adds it; refused (one warning) when it does not open or is an output already. */
  async add(spec: string): Promise<FrameSink> {
    try {
      if (this.opening.has(spec) || this.sinks.some((s) => s.spec === spec)) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `--output ${spec}: already an output`, 'outputs');
      this.opening.add(spec);
      const sink = await this.open(spec).finally(() => this.opening.delete(spec));
      if (this.closed) {
        await sink.close();
        throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `--output ${spec}: the engine stopped while it opened`, 'outputs');
      }
      this.sinks.push(sink);
      this.log.info({ io: sink.spec }, 'output added');
      this.emit('added', sink);
      return sink;
    } catch (e) {
      this.log.warn({ io: spec, err: errorLine(e) }, 'output not added; the show goes on without it');
      throw e;
    }
  }

  /** The sink a spec or an index names; an unknown one is a refusal naming what there is. */
  find(ref: OutputRef): FrameSink {
    const sink = typeof ref === 'number' ? this.sinks[ref] : this.sinks.find((s) => s.spec === ref);
    if (sink) return sink;
    const listed = this.sinks.map((s, i) => `${i}: ${s.spec}`).join(', ') || 'none';
    throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `no output ${JSON.stringify(ref)} (outputs: ${listed})`, 'outputs');
  }

  /** Takes the output out of the loop at once, then closes it (a recording writes its queued frames first). */
  async remove(ref: OutputRef): Promise<SinkStats> {
    const sink = this.find(ref);
    this.sinks.splice(this.sinks.indexOf(sink), 1);
    this.emit('removed', sink);
    const closed = sink.close().catch((e: unknown) => this.log.warn({ io: sink.spec, err: errorLine(e) }, 'error while closing a removed output'));
    this.closing.set(sink, closed);
    await closed;
    this.closing.delete(sink);
    this.log.info({ io: sink.spec, frames: sink.stats().frames }, 'output removed');
    return statsOf(sink);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sinks.splice(0).map((s) => s.close()), ...this.closing.values()]);
  }
}
