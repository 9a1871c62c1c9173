import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SdliveError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { catalogueManifests, modelCatalogue, type KnownModel } from '../../models/catalogue.js';
import { PARTS_RECORD, type CachedPart } from '../../models/hub/assemble.js';
import { HubCache } from '../../models/hub/cache.js';
import { fetchModel } from '../../models/hub/fetch.js';
import { componentManifests, folderBytes, isFetched, removeModel } from '../../models/hub/manage.js';
import { formatBytes } from '../../models/hub/progress.js';
import { loadSdModels } from '../../models/load.js';
import { readJsonFile } from '../../models/json-file.js';
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
    `unet/vae I/O      ${d.fp16 ? 'float16 (cast in the processor graphs)' : 'float32'}`,
    `vae encoder out   ${d.vaeEncoderOutput}${d.vaeEncoderOutput === 'latent_parameters' ? ' (mean = channels 0-3)' : ''}; ${d.latentChannels} latent channels`,
    `vae image range   ${d.vaeRange === 'zero_one' ? '[0,1]' : '[-1,1]'}; scaling ${d.vaeScaling}`,
    ...staticShapeLines(d),
  ];
}

function staticShapeLines(d: ModelDialect): string[] {
  if (d.unetFixedBatch === undefined && !d.fixedSize) return [];
  const batch = d.unetFixedBatch === undefined ? [] : [`unet batch fixed to ${d.unetFixedBatch} (slots run in groups of ${d.unetFixedBatch})`];
  const size = d.fixedSize ? [`${d.fixedSize.width}x${d.fixedSize.height} only`] : [];
  return [`static shapes     ${[...batch, ...size].join('; ')}`];
}

/** Where an assembled folder's parts came from (its sdlive-parts.json), one line each. */
function partLines(dir: string): string[] {
  const record = readJsonFile<Record<string, CachedPart>>(join(dir, PARTS_RECORD)) ?? {};
  return Object.entries(record).map(([name, p]) => `part ${name.padEnd(13)}${p.repo}@${p.revision} (commit ${p.commit})`);
}

function parseProviders(list: string): ExecutionProvider[] {
  const names = list.split(',').map((p) => p.trim());
  const unknown = names.find((n) => !(EXECUTION_PROVIDERS as readonly string[]).includes(n));
  if (unknown !== undefined) throw new SdliveError('SDL_ERR_CONFIG', `--providers: unknown provider "${unknown}" (known: ${EXECUTION_PROVIDERS.join(', ')})`, 'providers');
  return names as ExecutionProvider[];
}

/** A listed model's size on disk; '' for a built-in, or when its folder cannot be made (the load will say why). */
function sizeOf(m: KnownModel): string {
  if (m.name.startsWith('builtin:')) return '';
  try {
    return `${formatBytes(folderBytes(m.folder()))}  `;
  } catch {
    return '';
  }
}

function listLine(m: KnownModel): string {
  if (!m.present()) return `${m.name.padEnd(28)} not fetched yet: ${m.fetch}`;
  return `${m.name.padEnd(28)} ${sizeOf(m)}${m.description}`;
}

/** stdout: one line per name the engine knows; stderr: the parts (a VAE alone) and where the cache is. */
function listModels(): void {
  const cache = new HubCache();
  process.stdout.write(`${modelCatalogue().models().map(listLine).join('\n')}\n`);
  for (const c of componentManifests(catalogueManifests())) {
    process.stderr.write(`${c.name.padEnd(28)} part of other models (${c.title ?? c.source}): ${isFetched(c, cache) ? 'fetched' : `not fetched yet: sdlive models fetch ${c.name}`}\n`);
  }
  process.stderr.write(`Hugging Face cache: ${cache.root}\n`);
}

function registerHubCommands(models: Command): void {
  models
    .command('fetch')
    .argument('<model>', 'a manifest name (sdlive models list) or OWNER/REPO[@REVISION] on the Hugging Face hub')
    .description('download a model\'s ONNX files into the Hugging Face cache (HF_HUB_CACHE, HF_ENDPOINT and HF_TOKEN are honoured)')
    .action(async (spec: string) => {
      const result = await fetchModel(spec, { manifests: catalogueManifests() });
      if (result.folder) process.stderr.write(`ready: sdlive run --model ${result.name}\n`);
      else process.stderr.write(`${result.name} is a part of other models (not a model to run by itself)\n`);
      if (result.folder) process.stdout.write(`${result.folder}\n`);
    });
  models
    .command('rm')
    .argument('<model>', 'a manifest name or OWNER/REPO')
    .description('remove a fetched model from the Hugging Face cache (repos another fetched model uses are kept)')
    .action((spec: string) => {
      process.stdout.write(`${removeModel(spec, catalogueManifests(), new HubCache()).join('\n')}\n`);
    });
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('fetch, list, remove and inspect models; generate the built-in tiny models');
  registerHubCommands(models);
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
    .description('the model names the engine knows (what OSC, HTTP and MIDI may set `model` to), what is fetched, sizes')
    .action(listModels);
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
      process.stdout.write([`folder            ${dir}`, ...partLines(dir), `provider          ${m.provider}`, ...dialectLines(m.dialect)].join('\n') + '\n');
    });
}
