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

/**
 * @julusian/midi (RtMidi). Loaded lazily and probed once: without a MIDI subsystem (no /dev/snd/seq) RtMidi
 * cannot initialise and this throws SDL_ERR_MIDI_UNAVAILABLE instead of crashing the engine.
 */
export async function rtMidiBackend(): Promise<MidiBackend> {
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
      input.ignoreTypes(true, true, true);
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
