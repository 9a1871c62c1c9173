import type { Command } from 'commander';
import { pipelineByName } from '../../pipelines/registry.js';
import { jsonSchema, paramSpecs, type ParamSpec } from '../../schema/param-spec.js';
import { alignedRows } from '../table.js';

/** "0..1 step 0.01 px", "a|b|c", "1..4 items of 0..49": what values a parameter takes, in its unit. */
function valuesOf(s: ParamSpec): string {
  const unit = s.unit ? ` ${s.unit}` : '';
  const range = s.min !== undefined || s.max !== undefined ? `${s.min ?? ''}..${s.max ?? ''}${s.step !== undefined && s.step !== 1 ? ` step ${s.step}` : ''}${unit}` : '';
  const scalar = s.values ? s.values.join('|') : [range, KIND_WORDS[s.kind] ?? (range ? '' : s.kind)].filter(Boolean).join(', ');
  return s.minItems !== undefined || s.kind.endsWith('_list') ? `${s.minItems ?? 1}..${s.maxItems ?? ''} of ${scalar}` : scalar;
}

const KIND_WORDS: Partial<Record<ParamSpec['kind'], string>> = { string: 'text', prompt: 'text, or a weighted list', seed: 'or a weighted list', lora: 'a name, or a list of names with scales' };

/** A default short enough to keep the table one line per parameter. */
function defaultOf(s: ParamSpec): string {
  const text = JSON.stringify(s.default);
  return text.length > 32 ? `${text.slice(0, 29)}...` : text;
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description("print a pipeline's parameters: name, when a change applies (runtime: next frame; load: reloads the model), values, default, meaning")
    .option('--json', 'JSON Schema with the UI metadata')
    .option('--pipeline <name>', 'pipeline', 'streamdiffusion')
    .action((opts: { json?: boolean; pipeline: string }) => {
      const def = pipelineByName(opts.pipeline);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(jsonSchema(def.schema), null, 2)}\n`);
        return;
      }
      const rows = paramSpecs(def.schema).map((s) => [s.key, s.phase, valuesOf(s), defaultOf(s), s.description]);
      process.stdout.write(`${alignedRows([['parameter', 'applies', 'values', 'default', 'meaning'], ...rows]).join('\n')}\n`);
    });
}
