/** A channel-voice MIDI message, channel 1..16. */
export type MidiEvent =
  | { kind: 'cc'; channel: number; number: number; value: number }
  | { kind: 'note'; channel: number; number: number; velocity: number; on: boolean }
  | { kind: 'pitchbend'; channel: number; value: number }
  | { kind: 'program'; channel: number; program: number };

/** Decodes one complete MIDI message (what RtMidi delivers); anything else (sysex, clock) is undefined. */
export function parseMidi(bytes: readonly number[]): MidiEvent | undefined {
  const [status = 0, d1 = 0, d2 = 0] = bytes;
  const channel = (status & 0x0f) + 1;
  switch (status & 0xf0) {
    case 0xb0: return { kind: 'cc', channel, number: d1, value: d2 };
    case 0x90: return { kind: 'note', channel, number: d1, velocity: d2, on: d2 > 0 };
    case 0x80: return { kind: 'note', channel, number: d1, velocity: d2, on: false };
    case 0xe0: return { kind: 'pitchbend', channel, value: (d2 << 7) | d1 };
    case 0xc0: return { kind: 'program', channel, program: d1 };
    default: return undefined;
  }
}

export const cc = (channel: number, number: number, value: number): number[] => [0xb0 | (channel - 1), number & 0x7f, value & 0x7f];
export const noteOn = (channel: number, number: number, velocity: number): number[] => [0x90 | (channel - 1), number & 0x7f, velocity & 0x7f];
