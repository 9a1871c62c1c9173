import { mkdirSync } from 'node:fs';
import { z } from 'zod';
import { SdliveError } from '../errors.js';
import type { AppPlugin } from '../plugin.js';
import { checkNetworkOutput, defaultRecordingName, recordingSpec } from './output-rules.js';
import type { EngineOutputs } from './outputs.js';

/** The recording record/start began: its output spec and file. */
interface Recording {
  spec: string;
  file: string;
}

/** record/start and record/stop: one recording at a time, by name, in recordings.folder. */
class Recorder {
  private current: Recording | undefined;
  private starting = false;

  constructor(private readonly outputs: EngineOutputs, private readonly folder: string) {
    outputs.on('removed', this.forget);
  }

  /** Removed some other way (output/remove): it is over. */
  private readonly forget = (sink: { spec: string }) => {
    if (sink.spec === this.current?.spec) this.current = undefined;
  };

  close(): void {
    this.outputs.off('removed', this.forget);
  }

  get file(): string {
    return this.current?.file ?? '';
  }

  async start(name: string): Promise<Recording> {
    if (this.current || this.starting) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `a recording is running${this.current ? ` (${this.current.file})` : ''}: record/stop first`, 'recordings');
    this.starting = true;
    try {
      mkdirSync(this.folder, { recursive: true });
      const recording = recordingSpec(this.folder, name);
      await this.outputs.add(recording.spec);
      this.current = recording;
      return recording;
    } finally {
      this.starting = false;
    }
  }

  async stop() {
    if (!this.current) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', 'no recording is running', 'recordings');
    const { file, spec } = this.current;
    const stats = await this.outputs.remove(spec);
    return { file, frames: stats.frames, drops: stats.drops };
  }
}

const list = (outputs: EngineOutputs) => outputs.stats().map((s, index) => ({ index, ...s }));

/**
 * Outputs and recordings while the show runs: `output/add SPEC`, `output/remove SPEC|INDEX`, `output/list`,
 * `record/start [NAME]`, `record/stop` (on OSC, OSCQuery, HTTP and the CLI, all of them network callers, so an
 * added output never writes a file: see checkNetworkOutput).
 */
export const outputsPlugin: AppPlugin = {
  name: 'outputs',
  async register({ commands, engine, config }) {
    const { outputs } = engine;
    const recorder = new Recorder(outputs, config.recordings.folder);
    const removers = [
      commands.register({
        name: 'output/add', description: 'Add an output while running (shm:, spout:, syphon:, ndi: or an ffmpeg network stream)', types: 's',
        args: z.tuple([z.string().min(1)]),
        run: async ([spec]) => {
          checkNetworkOutput(spec);
          await outputs.add(spec);
          return list(outputs);
        },
      }),
      commands.register({
        name: 'output/remove', description: 'Remove an output by its spec or its index in output/list (a recording writes what it queued first)', types: 's',
        args: z.tuple([z.union([z.string().min(1), z.int().min(0)])]),
        run: ([ref]) => outputs.remove(ref),
      }),
      commands.register({
        name: 'output/list', description: 'The outputs, with their stats', types: '', args: z.tuple([]),
        run: () => list(outputs),
        read: () => outputs.list.map((s) => s.spec),
      }),
      commands.register({
        name: 'record/start', description: 'Start recording into recordings.folder (NAME: a file name; "?" answers the file being recorded, "" when none)', types: 's',
        args: z.tuple([z.string().optional()]),
        run: ([name]) => recorder.start(name ?? defaultRecordingName()),
        read: () => [recorder.file],
      }),
      commands.register({
        name: 'record/stop', description: 'Stop the recording: every frame queued goes into the file first', types: '', args: z.tuple([]),
        run: () => recorder.stop(),
      }),
    ];
    return {
      close: async () => {
        removers.forEach((remove) => remove());
        recorder.close();
      },
    };
  },
};
