import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { errorLine } from '../../errors.js';
import { ControlError, type OscArg } from '../space/values.js';

/** Who asked for a command: for the log line and for commands that answer differently per caller. */
export type CommandOrigin = 'osc' | 'http' | 'midi' | 'cli' | 'engine';

/**
 * An action that is not a parameter value (recall a preset, start a recording, tap the tempo): one entry here
 * gives it an OSC address (`/sdlive/<name>`), an OSCQuery node, `POST /api/commands/<name>` and `npx sdlive command`.
 */
export interface CommandSpec<Args extends readonly unknown[] = readonly unknown[]> {
  /** Its address under the OSC root, e.g. `preset/recall`: lowercase words joined by `/`, `_` and `-`. */
  name: string;
  description: string;
  /** OSC type tags of its arguments, as OSCQuery lists them ('' when it takes none). */
  types: string;
  /** Validates the arguments, given as OSC arguments or a JSON array: a z.tuple. */
  args: z.ZodType<Args, readonly unknown[]>;
  /** Does it; what it returns (JSON) is the HTTP answer. Throws a ControlError or SdliveError to refuse. */
  run(args: Args, origin: CommandOrigin): unknown;
  /** Its current value, for an OSC `?` query and OSCQuery's VALUE (e.g. the preset last recalled). */
  read?: () => OscArg[];
}

const NAME = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;

/** The commands plugins register; OSC, OSCQuery, HTTP and the CLI look them up here when they are called. */
export class CommandRegistry extends EventEmitter<{ change: [] }> {
  private readonly specs = new Map<string, CommandSpec>();

  /** Adds a command; returns the function that removes it. A duplicate or malformed name is a programming error. */
  register<Args extends readonly unknown[]>(spec: CommandSpec<Args>): () => void {
    if (!NAME.test(spec.name)) throw new Error(`command name ${JSON.stringify(spec.name)}: lowercase words joined by /`);
    if (this.specs.has(spec.name)) throw new Error(`command ${spec.name} is registered twice`);
    this.specs.set(spec.name, spec as unknown as CommandSpec);
    this.emit('change');
    return () => {
      if (this.specs.get(spec.name) === (spec as unknown as CommandSpec)) this.specs.delete(spec.name);
      this.emit('change');
    };
  }

  get(name: string): CommandSpec | undefined {
    return this.specs.get(name);
  }

  list(): CommandSpec[] {
    return [...this.specs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Validates and runs a command. Every refusal is a ControlError: an unknown name, arguments that do not fit,
   * or the command's own refusal (an SdliveError's line, or any other error's message).
   */
  async run(name: string, args: readonly unknown[], origin: CommandOrigin): Promise<unknown> {
    const spec = this.specs.get(name);
    if (!spec) throw new ControlError('unknown_address', `no command ${name} (GET /api/commands lists them)`);
    const parsed = spec.args.safeParse(args);
    if (!parsed.success) throw new ControlError('bad_type', `${name} takes ${spec.types || 'no arguments'}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    try {
      return await spec.run(parsed.data, origin);
    } catch (e) {
      if (e instanceof ControlError) throw e;
      throw new ControlError('rejected', errorLine(e));
    }
  }
}
