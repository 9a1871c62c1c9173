import type { EngineMetrics } from '../../engine/engine.js';
import type { ParamChange } from '../../engine/parameter-store.js';
import { didYouMeanSuffix } from '../../util/did-you-mean.js';
import { ChangeBatcher } from './change-batcher.js';
import { Throttle } from './error-throttle.js';
import { heartbeatMetrics } from '../space/metric-addresses.js';
import { encodeBundle, encodeMessage, type OutgoingMessage } from './codec.js';
import { distinctPeers, peerKey, type ControlStore, type OscFailure, type OscPeer, type OscServer } from './server.js';

export interface OscFeedbackOptions {
  server: OscServer;
  store: ControlStore;
  targets: readonly OscPeer[];
  replyToSender: boolean;
  heartbeatMs: number;
  metrics?: () => EngineMetrics;
}

/** At most one `/sdlive/error` per sender, address and reason in this time (a host's 60 Hz chatter gets one a second). */
export const ERROR_INTERVAL_MS = 1000;

/** Did-you-mean compares against every address: only for addresses under the root up to this long, one per this many ms. */
const HINT = { intervalMs: 10, maxLength: 96 };

/**
 * Sends live state to TouchDesigner & co: every changed parameter (coalesced per event-loop turn, so a flood
 * of 10k messages costs one reply per address), `/sdlive/error <address> <reason>` to the sender of a refused
 * message (at most one per sender, address and reason each ERROR_INTERVAL_MS), and every heartbeat one bundle of
 * `/sdlive/heartbeat 1` and the engine's metrics (`heartbeatMetrics`).
 */
export class OscFeedback {
  private readonly batcher = new ChangeBatcher((keys) => this.flush(keys));
  private timer: NodeJS.Timeout | undefined;
  private readonly errors = new Throttle(ERROR_INTERVAL_MS);
  private readonly hints = new Throttle(HINT.intervalMs);
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
    return distinctPeers(all);
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

  /** The sender alone hears about its refused message: feedback targets (a host's own OSC input) do not. */
  private sendError(f: OscFailure): void {
    if (!f.from) return;
    const suppressed = this.errors.take(`${peerKey(f.from)} ${f.address} ${f.reason}`);
    if (suppressed === undefined) return;
    const space = this.opts.server.space;
    const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
    this.opts.server.send(f.from, encodeMessage(`${space.root}/error`, [f.address, `${f.reason}: ${f.message}${this.hint(f)}${more}`], 's'));
  }

  /** ` (did you mean "/sdlive/delta"?)` for a mistyped address; bounded so a flood of made-up addresses stays cheap. */
  private hint(f: OscFailure): string {
    const space = this.opts.server.space;
    const candidate = f.reason === 'unknown_address' && f.address.startsWith(`${space.root}/`) && f.address.length <= HINT.maxLength;
    if (!candidate || this.hints.take('hint') === undefined) return '';
    return didYouMeanSuffix(f.address, space.addresses.map((a) => a.path));
  }

  private heartbeat(): void {
    const to = this.destinations();
    if (to.length === 0) return;
    const root = this.opts.server.space.root;
    const beat: OutgoingMessage[] = [{ address: `${root}/heartbeat`, args: [1], types: 'i' }];
    const m = this.opts.metrics?.();
    if (m) for (const metric of heartbeatMetrics(m)) beat.push({ address: `${root}/${metric.target}`, args: metric.read(m), types: metric.types });
    this.broadcast(to, encodeBundle(beat));
  }

  private broadcast(to: readonly OscPeer[], data: Uint8Array): void {
    for (const peer of to) this.opts.server.send(peer, data);
  }
}
