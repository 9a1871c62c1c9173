import { existsSync } from 'node:fs';
import { SdliveError } from '../../errors.js';

export interface MidiInputPort {
  close(): void;
}

export interface MidiOutputPort {
  send(bytes: readonly number[]): void;
  close(): void;
}

/** The boundary to the MIDI library: port lists, open an input with a callback, open an output. */
export interface MidiBackend {
  inputs(): string[];
  outputs(): string[];
  openInput(index: number, onMessage: (bytes: number[]) => void): MidiInputPort;
  openOutput(index: number): MidiOutputPort;
}

const listNames = (port: { getPortCount(): number; getPortName(i: number): string }) =>
  Array.from({ length: port.getPortCount() }, (_, i) => port.getPortName(i));

export interface RtMidiOptions {
  /** Device RtMidi's ALSA backend opens; checked first so ALSA prints nothing to stderr. null skips the check. */
  sequencer?: string | null;
}

const ALSA_SEQUENCER = process.platform === 'linux' ? '/dev/snd/seq' : null;

/**
 * @julusian/midi (RtMidi). Loaded lazily and probed once: without a MIDI subsystem RtMidi cannot initialise
 * and this throws SDL_ERR_MIDI_UNAVAILABLE instead of crashing the engine. On Linux a missing ALSA sequencer is
 * reported before RtMidi is touched (ALSA would print its own lines to stderr).
 */
export async function rtMidiBackend({ sequencer = ALSA_SEQUENCER }: RtMidiOptions = {}): Promise<MidiBackend> {
  if (sequencer && !existsSync(sequencer)) {
    throw new SdliveError('SDL_ERR_MIDI_UNAVAILABLE', `no ALSA sequencer (${sequencer}): load snd-seq (modprobe snd-seq)`, 'midi');
  }
  let lib: typeof import('@julusian/midi');
  let probeIn: InstanceType<typeof lib.Input>;
  let probeOut: InstanceType<typeof lib.Output>;
  try {
    lib = await import('@julusian/midi');
    probeIn = new lib.Input();
    probeOut = new lib.Output();
  } catch (e) {
    throw new SdliveError('SDL_ERR_MIDI_UNAVAILABLE', `no MIDI subsystem: ${(e as Error).message}`, 'midi');
  }
  return {
    inputs: () => listNames(probeIn),
    outputs: () => listNames(probeOut),
    openInput(index, onMessage) {
      const input = new lib.Input();
      input.ignoreTypes(true, false, true); // sysex and active sensing dropped; timing (MIDI clock) kept for the tempo
      input.on('message', (_dt, message) => onMessage(message));
      input.openPort(index);
      return { close: () => input.closePort() };
    },
    openOutput(index) {
      const output = new lib.Output();
      output.openPort(index);
      return { send: (bytes) => output.sendMessage([...bytes]), close: () => output.closePort() };
    },
  };
}
