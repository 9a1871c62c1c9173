import type { ParamChange } from '../../engine/parameter-store.js';
import type { ControlStore } from '../osc/server.js';
import type { BoundControl, MidiMapper } from './mapper.js';
import { cc, noteOn } from './messages.js';

/** The MIDI bytes that put a control's LED ring, LED or motor fader where its value is. */
export function feedbackBytes(control: BoundControl): number[][] {
  const b = control.binding;
  if (!control.address.unitView) return [];
  const pos = control.toPosition(control.unitNow);
  switch (b.type) {
    case 'cc': return [cc(b.channel, b.number, Math.round(pos * 127))];
    case 'cc14': {
      const v = Math.round(pos * 16383);
      return [cc(b.channel, b.number, v >> 7), cc(b.channel, b.number + 32, v & 0x7f)];
    }
    case 'note': return [noteOn(b.channel, b.number, pos >= 0.5 ? 127 : 0)];
    case 'pitchbend': {
      const v = Math.round(pos * 16383);
      return [[0xe0 | (b.channel - 1), v & 0x7f, v >> 7]];
    }
    default: return [];
  }
}

/** Sends every changed parameter back to the controllers' outputs (LEDs, motor faders). */
export function attachLedFeedback(store: ControlStore, mapper: MidiMapper, send: (bytes: number[]) => void): () => void {
  const onChange = (c: ParamChange<Record<string, unknown>>) => {
    const keys = new Set<string>(c.keys);
    for (const control of mapper.controls()) {
      if (keys.has(control.address.spec.key)) feedbackBytes(control).forEach(send);
    }
  };
  store.on('change', onChange);
  return () => store.off('change', onChange);
}
