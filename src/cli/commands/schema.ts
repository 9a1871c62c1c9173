import type { Command } from 'commander';
import { pipelineByName } from '../../pipelines/registry.js';
import { jsonSchema, paramSpecs } from '../../schema/param-spec.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description("print a pipeline's parameter schema (the source of OSC addresses, OSCQuery, mappings and the web page)")
    .option('--json', 'JSON Schema with the UI metadata')
    .option('--pipeline <name>', 'pipeline', 'streamdiffusion')
    .action((opts: { json?: boolean; pipeline: string }) => {
      const def = pipelineByName(opts.pipeline);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(jsonSchema(def.schema), null, 2)}\n`);
        return;
      }
      for (const s of paramSpecs(def.schema)) {
        const range = s.values ? s.values.join('|') : s.min !== undefined ? `${s.min}..${s.max}` : s.kind;
        process.stdout.write(`${s.key.padEnd(28)} ${s.phase.padEnd(8)} ${range.padEnd(26)} default ${JSON.stringify(s.default)}\n`);
      }
    });
}
