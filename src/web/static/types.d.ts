// Types the page's JSDoc refers to: the server's own types, so a change there shows up in `npm run typecheck`.
import type { ParamSpec } from '../../schema/param-spec.js';
import type { EngineMetrics } from '../../engine/engine.js';
import type { Health } from '../../engine/health.js';
import type { Modulator } from '../../control/modulators/schema.js';

/** One field of a weighted-list entry (text, seed, weight): from `spec.entry.fields` when the schema has it. */
export interface EntryField {
  name: string;
  type?: string;
  min?: number;
  max?: number;
  default?: unknown;
}

/**
 * A ParamSpec as the page reads it. `entry.fields` (names or EntryField-like objects) is read when the schema
 * describes list entries; it is checked at run time (values.js entryFields), so its declared type here is open.
 */
export type PageSpec = ParamSpec & { entry?: { fields?: unknown } };

export type Metrics = EngineMetrics;
export type HealthReport = Health;

/** GET /api/params. */
export interface ParamsReply {
  pipeline: string;
  specs: PageSpec[];
  values: Record<string, unknown>;
  midi?: boolean;
}

/** What every control factory returns: its element and how it shows the engine's value. */
export interface Control {
  element: HTMLElement;
  update(value: unknown): void;
}

/** Where a control reports a change and an invalid entry (a message, or '' when it is valid again). */
export interface ControlHooks {
  send(value: unknown): void;
  invalid(message: string): void;
}

export type { TempoState } from '../../control/tempo/state.js';

export type ModulatorValue = Modulator;
