import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SdliveError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { modelCatalogue } from '../../models/catalogue.js';
import { loadSdModels } from '../../models/load.js';
import { resolveModelDir } from '../../models/resolve.js';
import type { ModelDialect } from '../../models/sd-models.js';
import { makeTinyModel } from '../../models/tiny/make-tiny.js';
import { DEFAULT_TINY_VARIANT, TINY_VARIANT_NAMES, TINY_VARIANTS, type TinyVariantName } from '../../models/tiny/variants.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../../pipelines/streamdiffusion/schema.js';

function dialectLines(d: ModelDialect): string[] {
  const extras = [...(d.family === 'sdxl' ? ['text_embeds', 'time_ids'] : []), ...(d.timestepCondWidth ? [`timestep_cond [B,${d.timestepCondWidth}] (LCM: guidance as an embedding)`] : [])];
  return [
    `family            ${d.family === 'sdxl' ? 'SDXL (two text encoders)' : 'SD (one text encoder)'}${extras.length ? `; unet also takes ${extras.join(', ')}` : ''}`,
    `text encoder      input_ids ${d.textInputType} [B,${d.maxTokens}] -> [B,${d.maxTokens},${d.textWidth}]; BOS ${d.bosId}, EOS ${d.eosId}, pad ${d.padId}`,
    `unet timestep     ${d.unetTimestep.type} ${d.unetTimestep.rank === 0 ? 'scalar (rank 0)' : '[batch]'}; stream batch ${d.batchedTimestep ? 'in one call' : 'slot by slot'}`,
    `unet/vae I/O      ${d.fp16 ? 'float16 (converted at the boundary)' : 'float32'}`,
    `vae encoder out   ${d.vaeEncoderOutput}${d.vaeEncoderOutput === 'latent_parameters' ? ' (mean = channels 0-3)' : ''}; ${d.latentChannels} latent channels`,
    `vae image range   ${d.vaeRange === 'zero_one' ? '[0,1]' : '[-1,1]'}; scaling ${d.vaeScaling}`,
  ];
}

function parseProviders(list: string): ExecutionProvider[] {
  const names = list.split(',').map((p) => p.trim());
  const unknown = names.find((n) => !(EXECUTION_PROVIDERS as readonly string[]).includes(n));
  if (unknown !== undefined) throw new SdliveError('SDL_ERR_CONFIG', `--providers: unknown provider "${unknown}" (known: ${EXECUTION_PROVIDERS.join(', ')})`, 'providers');
  return names as ExecutionProvider[];
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('list the known models, generate the built-in tiny models, inspect a model folder');
  models
    .command('make-tiny')
    .description('write a tiny random-weight model folder (same I/O as a real export); default models/generated/<variant>')
    .option('--out <dir>', 'target folder')
    .addOption(new Option('--variant <name>', 'which export dialect to imitate').choices(TINY_VARIANT_NAMES).default(DEFAULT_TINY_VARIANT))
    .action((opts: { out?: string; variant: TinyVariantName }) => {
      const dir = opts.out ? makeTinyModel(resolve(opts.out), opts.variant) : resolveModelDir(`builtin:tiny-${opts.variant}`);
      process.stdout.write(`${dir}\n`);
    });
  models
    .command('variants')
    .description('list the tiny model variants')
    .action(() => {
      for (const v of Object.values(TINY_VARIANTS)) process.stdout.write(`${v.name.padEnd(16)} ${v.description}\n`);
    });
  models
    .command('list')
    .description('the model names the engine knows (what OSC, HTTP and MIDI may set `model` to)')
    .action(() => {
      for (const m of modelCatalogue().models()) {
        process.stdout.write(`${m.name.padEnd(28)} ${m.present() ? m.description : `not fetched yet: ${m.fetch}`}\n`);
      }
    });
  models
    .command('inspect')
    .argument('<model>', 'model name (sdlive models list), builtin:tiny[-variant] or model folder')
    .description("load a model folder and print the dialect the loader detected")
    .option('--json', 'print JSON')
    .option('--providers <list>', `comma-separated, tried in order (${EXECUTION_PROVIDERS.join(',')})`, 'cpu')
    .option('--width <px>', 'generation width', '512')
    .option('--height <px>', 'generation height', '512')
    .action(async (spec: string, opts: { json?: boolean; providers: string; width: string; height: string }) => {
      const dir = modelCatalogue().folderOf(spec);
      const providers = parseProviders(opts.providers);
      const log = createLogger(opts.json ? 'error' : 'warn');
      const m = await loadSdModels(dir, { providers, width: Number(opts.width), height: Number(opts.height), log });
      await m.dispose();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ dir, provider: m.provider, dialect: m.dialect }, null, 2)}\n`);
        return;
      }
      process.stdout.write([`folder            ${dir}`, `provider          ${m.provider}`, ...dialectLines(m.dialect)].join('\n') + '\n');
    });
}
