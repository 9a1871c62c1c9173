import { errorLine } from '../../errors.js';
import { rateLimited, type Logger } from '../../log.js';
import type { AddressSpace } from '../space/address-space.js';
import type { CommandRegistry } from '../commands/registry.js';
import type { MidiConfig } from '../config.js';
import type { MappingSet } from '../mappings/mapping-set.js';
import type { ControlStore } from '../osc/server.js';
import type { MidiBackend } from './backend.js';
import { attachLedFeedback } from './led-feedback.js';
import { describeBinding, MidiLearn } from './learn.js';
import { MidiMapper } from './mapper.js';
import { parseMidi } from './messages.js';
import { MidiPorts } from './adapter.js';

/** A MIDI real-time status byte (0xF8 clock, 0xFA start, 0xFB continue, 0xFC stop) from a port. */
export type RealtimeListener = (status: number, port: string) => void;

export interface MidiControlOptions {
  config: MidiConfig;
  store: ControlStore;
  space: AddressSpace;
  mappings: MappingSet;
  learnFile: string;
  log: Logger;
  backend: () => Promise<MidiBackend>;
  /** Where bindings with a `command` run it (program change -> preset/recall). */
  commands?: Pick<CommandRegistry, 'run'>;
}

/**
 * MIDI end to end: the open ports, the mapping engine fed by the active mapping files, LED/motor-fader
 * feedback, and learn (while armed, control moves bind instead of acting).
 */
export class MidiControl {
  readonly mapper: MidiMapper;
  readonly learn: MidiLearn;
  private ports: MidiPorts | undefined;
  private detachLeds: (() => void) | undefined;
  private readonly warn: ReturnType<typeof rateLimited>;
  private dropped = 0;
  private readonly realtime = new Set<RealtimeListener>();
  lastLearned = '';

  constructor(private readonly opts: MidiControlOptions) {
    this.warn = rateLimited(opts.log);
    this.mapper = new MidiMapper(opts.store, opts.space, opts.log, opts.commands);
    this.mapper.setMappings(opts.mappings.current);
    opts.mappings.on('change', (m) => this.mapper.setMappings(m));
    this.learn = new MidiLearn(opts.space, () => opts.learnFile);
    this.learn.on('learned', (binding, file) => {
      this.lastLearned = describeBinding(binding);
      opts.log.info({ file }, `MIDI learned: ${this.lastLearned}`);
      void opts.mappings.ensure(file);
    });
    this.learn.on('failed', (e) => opts.log.error(`MIDI learn could not write the mapping: ${e.message}`));
  }

  async open(): Promise<this> {
    this.ports = await MidiPorts.open(this.opts.config, this.opts.backend, this.opts.log, (bytes, port) => this.receive(bytes, port));
    if (this.ports.hasOutputs) this.detachLeds = attachLedFeedback(this.opts.store, this.mapper, (b) => this.ports?.send(b));
    return this;
  }

  /** Whether any MIDI input is open (MIDI enabled, a MIDI subsystem, a matching port): learn needs one. */
  get available(): boolean {
    return (this.ports?.inputCount ?? 0) > 0;
  }

  /** MIDI messages refused: by the mappings, or failing in learn. */
  get failures(): number {
    return this.mapper.failures + this.dropped;
  }

  /** Sends to every open MIDI output (MIDI clock out); a failing output is logged, never thrown. */
  send(bytes: readonly number[]): void {
    this.ports?.send(bytes);
  }

  /** Listens to real-time messages (clock, start, continue, stop); returns the function that stops it. */
  onRealtime(listener: RealtimeListener): () => void {
    this.realtime.add(listener);
    return () => this.realtime.delete(listener);
  }

  /** One MIDI message from a port (or a test): real-time ones to their listeners, then learn while armed, else the mappings. Never throws. */
  receive(bytes: readonly number[], port = ''): void {
    try {
      if (bytes.length === 1 && bytes[0]! >= 0xf8) return void this.realtime.forEach((listener) => listener(bytes[0]!, port));
      const event = parseMidi(bytes);
      if (!event) return;
      if (this.learn.target) this.learn.observe(event);
      else this.mapper.handle(event, port);
    } catch (e) {
      this.dropped++;
      this.warn(`midi ${port}`, `midi: message from ${port || 'a port'} failed: ${errorLine(e)}`);
    }
  }

  close(): void {
    this.learn.cancel();
    this.detachLeds?.();
    this.mapper.close();
    this.ports?.close();
  }
}
