import { errorLine } from '../../errors.js';
import { rateLimited, type Logger } from '../../log.js';
import type { MidiConfig } from '../config.js';
import type { MidiBackend, MidiInputPort, MidiOutputPort } from './backend.js';

/** Port indices chosen by selectors: "all", an index, or a case-insensitive name substring. */
export function selectPorts(names: readonly string[], selectors: readonly (string | number)[], log: Logger, kind: string): number[] {
  const chosen = new Set<number>();
  for (const s of selectors) {
    const hits = s === 'all' ? names.map((_, i) => i) : typeof s === 'number' ? (s < names.length ? [s] : []) : names.flatMap((n, i) => (n.toLowerCase().includes(s.toLowerCase()) ? [i] : []));
    if (hits.length === 0 && s !== 'all') log.warn({ selector: s, available: names }, `MIDI ${kind} not found`);
    hits.forEach((i) => chosen.add(i));
  }
  return [...chosen];
}

/** The open MIDI ports: inputs feed `onMessage` with their name, outputs receive LED/motor-fader feedback. */
export class MidiPorts {
  private readonly warn: ReturnType<typeof rateLimited>;

  private constructor(private readonly inputs: MidiInputPort[], private readonly outputs: MidiOutputPort[], log: Logger) {
    this.warn = rateLimited(log);
  }

  /** Opens what the config asks for; with no MIDI subsystem, one log line and no ports (the engine runs on). */
  static async open(cfg: MidiConfig, backend: () => Promise<MidiBackend>, log: Logger, onMessage: (bytes: number[], port: string) => void): Promise<MidiPorts> {
    if (!cfg.enabled) return new MidiPorts([], [], log);
    let b: MidiBackend;
    try {
      b = await backend();
    } catch (e) {
      log.warn(`MIDI off: ${errorLine(e)} (set midi.enabled false to silence)`);
      return new MidiPorts([], [], log);
    }
    const inputs: MidiInputPort[] = [];
    const outputs: MidiOutputPort[] = [];
    const names = b.inputs();
    for (const i of selectPorts(names, cfg.inputs, log, 'input')) {
      try {
        inputs.push(b.openInput(i, (bytes) => onMessage(bytes, names[i]!)));
        log.info({ port: names[i] }, 'MIDI input open');
      } catch (e) {
        log.warn({ port: names[i], err: errorLine(e) }, 'cannot open MIDI input');
      }
    }
    const outNames = b.outputs();
    for (const i of selectPorts(outNames, cfg.outputs, log, 'output')) {
      try {
        outputs.push(b.openOutput(i));
      } catch (e) {
        log.warn({ port: outNames[i], err: errorLine(e) }, 'cannot open MIDI output');
      }
    }
    return new MidiPorts(inputs, outputs, log);
  }

  get inputCount(): number {
    return this.inputs.length;
  }

  get hasOutputs(): boolean {
    return this.outputs.length > 0;
  }

  /** Feedback to every output; one that fails (unplugged) is logged, the others still get it. */
  send(bytes: readonly number[]): void {
    for (const [i, o] of this.outputs.entries()) {
      try {
        o.send(bytes);
      } catch (e) {
        this.warn(`midi out ${i}`, `MIDI output ${i} cannot send: ${errorLine(e)}`);
      }
    }
  }

  close(): void {
    for (const p of [...this.inputs, ...this.outputs]) p.close();
  }
}
