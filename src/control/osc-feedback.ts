import type { EngineMetrics } from '../engine/engine.js';
import { health } from '../engine/health.js';
import { ChangeBatcher } from './change-batcher.js';
import type { ParamChange } from '../engine/parameter-store.js';
import { encodeMessage } from './osc-codec.js';
import type { ControlStore, OscFailure, OscPeer, OscServer } from './osc-server.js';

export interface OscFeedbackOptions {
  server: OscServer;
  store: ControlStore;
  targets: readonly OscPeer[];
  replyToSender: boolean;
  heartbeatMs: number;
  metrics?: () => EngineMetrics;
}

type MetricMessage = [path: string, args: (number | string)[], type?: 'i' | 'f'];

const MIB = 1024 * 1024;

/** What the heartbeat says about the engine, as `[address below the root, args, OSC types]`. */
export function metricMessages(m: EngineMetrics): MetricMessage[] {
  const h = health(m);
  return [
    ['fps', [m.fps], 'f'],
    ['frame_count', [m.frameCount], 'i'],
    ['latency_ms', [m.latencyMs], 'f'],
    ['latency_frames', [m.latencyFrames], 'i'],
    ['dropped_frames', [m.droppedFrames], 'i'],
    ...Object.entries(m.stages).map(([stage, s]): MetricMessage => [`stage/${stage}_ms`, [s.median], 'f']),
    ['queue/inflight', [m.queues.inflight], 'i'],
    ['memory_mb', [m.memory.rss / MIB], 'f'],
    ['health', [h.status, h.reason]],
  ];
}

const peerKey = (p: OscPeer) => `${p.address}:${p.port}`;

/**
 * Sends live state to TouchDesigner & co: every changed parameter (coalesced per event-loop turn, so a flood
 * of 10k messages costs one reply per address), `/sdlive/error <address> <reason>` for rejected messages, and
 * every heartbeat `/sdlive/heartbeat 1` and the engine's metrics (`metricMessages`).
 */
export class OscFeedback {
  private readonly batcher = new ChangeBatcher((keys) => this.flush(keys));
  private timer: NodeJS.Timeout | undefined;
  private readonly onChange = (c: ParamChange<Record<string, unknown>>) => this.batcher.add(c.keys);
  private readonly onFailure = (f: OscFailure) => this.sendError(f);

  constructor(private readonly opts: OscFeedbackOptions) {}

  start(): this {
    this.opts.store.on('change', this.onChange);
    this.opts.server.on('failure', this.onFailure);
    if (this.opts.heartbeatMs > 0) {
      this.timer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    this.opts.store.off('change', this.onChange);
    this.opts.server.off('failure', this.onFailure);
    clearInterval(this.timer);
  }

  /** Configured targets plus the last sender when asked for, each once. */
  destinations(): OscPeer[] {
    const all = [...this.opts.targets];
    const last = this.opts.server.lastSender;
    if (this.opts.replyToSender && last) all.push(last);
    return [...new Map(all.map((p) => [peerKey(p), p])).values()];
  }

  private flush(keys: ReadonlySet<string>): void {
    const to = this.destinations();
    if (to.length === 0) return;
    const snapshot = this.opts.store.snapshot as Record<string, unknown>;
    for (const a of this.opts.server.space.addresses) {
      if (!keys.has(a.spec.key) || !a.readable) continue;
      const values = a.read(snapshot);
      if (values.length) this.broadcast(to, encodeMessage(a.path, values, a.type));
    }
  }

  private sendError(f: OscFailure): void {
    const to = this.destinations();
    if (f.from && !to.some((p) => peerKey(p) === peerKey(f.from!))) to.push(f.from);
    this.broadcast(to, encodeMessage(`${this.opts.server.space.root}/error`, [f.address, `${f.reason}: ${f.message}`]));
  }

  private heartbeat(): void {
    const to = this.destinations();
    if (to.length === 0) return;
    const root = this.opts.server.space.root;
    this.broadcast(to, encodeMessage(`${root}/heartbeat`, [1], 'i'));
    const m = this.opts.metrics?.();
    if (!m) return;
    for (const [path, args, type] of metricMessages(m)) this.broadcast(to, encodeMessage(`${root}/${path}`, args, type));
  }

  private broadcast(to: readonly OscPeer[], data: Uint8Array): void {
    for (const peer of to) this.opts.server.send(peer, data);
  }
}
