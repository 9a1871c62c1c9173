import { rateLimited, type Logger } from '../../log.js';
import type { ControlAddress, Params } from '../space/address.js';
import type { AddressSpace } from '../space/address-space.js';
import { ControlError } from '../space/values.js';
import type { Clock } from '../../util/clock.js';
import type { TempoClock } from '../tempo/tempo-clock.js';
import { envelopeValue, oneShot, type Gate } from './envelope.js';
import { lfoValue } from './lfo.js';
import type { Modulator } from './schema.js';

/** Why a modulator's target cannot be modulated, or undefined when it can. */
function refusal(address: ControlAddress | undefined, target: string): string | undefined {
  if (!address) return `no address ${target} (see \`npx sdlive mappings list --addresses\`)`;
  if (!address.numeric || (address.type !== 'f' && address.type !== 'i')) return `${target} is not a number`;
  if (address.spec.phase === 'load') return `${target} reloads the model: only runtime parameters can be modulated`;
  return undefined;
}

const clampTo = (a: ControlAddress, v: number) => Math.min(a.max ?? Infinity, Math.max(a.min ?? -Infinity, v));

/**
 * The modulators (the `modulators` parameter) applied at frame time on top of the stored values: the store keeps
 * what the performer set, each frame reads base + the modulators' swing, clamped to the target's range.
 */
export class Modulation {
  private readonly gates = new Map<string, Gate>();
  private readonly warn: ReturnType<typeof rateLimited>;
  /** The modulated value of each target on the last frame. */
  live: Record<string, number> = {};

  constructor(private readonly space: AddressSpace, private readonly tempo: TempoClock, private readonly clock: Clock, log: Logger) {
    this.warn = rateLimited(log, 10_000);
  }

  private seconds(): number {
    return this.clock.now() / 1000;
  }

  /** The frame's parameters: `p` with every enabled modulator's target moved. Never throws: a bad target is skipped. */
  apply(p: Params): Params {
    const list = (p.modulators as readonly Modulator[] | undefined) ?? [];
    if (list.length === 0) {
      this.live = {};
      return p;
    }
    const live: Record<string, number> = {};
    let out = p;
    for (const [target, { address, sum }] of this.swings(list)) {
      const base = address.read(out)[0];
      if (typeof base !== 'number') continue; // a list entry that does not exist (yet)
      const value = clampTo(address, base + sum);
      try {
        out = { ...out, ...address.write(out, [value]) };
        live[target] = address.read(out)[0] as number;
      } catch (e) {
        this.warn(`modulate ${target}`, `modulator on ${target}: ${(e as Error).message}`);
      }
    }
    this.live = live;
    return out;
  }

  /** Each modulated target with the sum of its modulators' swings now. */
  private swings(list: readonly Modulator[]): Map<string, { address: ControlAddress; sum: number }> {
    const now = this.seconds();
    const beats = this.tempo.position(this.clock.now());
    const swings = new Map<string, { address: ControlAddress; sum: number }>();
    for (const m of list) {
      if (!m.enabled) continue;
      const address = this.space.target(m.target);
      const why = refusal(address, m.target);
      if (why) {
        this.warn(`modulator ${m.name}`, `modulator ${m.name}: ${why}; it does nothing`);
        continue;
      }
      const entry = swings.get(m.target) ?? { address: address!, sum: 0 };
      entry.sum += m.kind === 'lfo' ? lfoValue(m, now, beats) : envelopeValue(m, this.gates.get(m.name), now);
      swings.set(m.target, entry);
    }
    return swings;
  }

  /** Opens an envelope's gate: one-shot (attack, decay, release), or held until `trigger(name, false)`. */
  trigger(list: readonly Modulator[], name: string, gate?: boolean): void {
    const m = list.find((x) => x.name === name);
    if (!m) throw new ControlError('out_of_range', `no modulator ${name} (modulators: ${list.map((x) => x.name).join(', ') || 'none'})`);
    if (m.kind !== 'envelope') throw new ControlError('rejected', `modulator ${name} is an LFO: only envelopes are triggered`);
    const now = this.seconds();
    if (gate === undefined) this.gates.set(name, oneShot(m, now));
    else if (gate) this.gates.set(name, { on: now });
    else {
      const held = this.gates.get(name);
      if (held && held.off === undefined) this.gates.set(name, { ...held, off: now });
    }
  }
}
