import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configFromFlags } from '../../src/cli/commands/run.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { isSdliveError } from '../../src/errors.js';
import { LORA_CHOICES, LoraCatalogue } from '../../src/models/lora/catalogue.js';
import type { SdModels } from '../../src/models/sd-models.js';
import { loadModelFolder } from '../../src/pipelines/streamdiffusion/index.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { captureLog } from '../helpers/log-lines.js';
import { writeTinyKohyaLora } from './fixtures/lora-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sdlive-lora-load-'));
const loraDir = join(root, 'loras');
writeTinyKohyaLora(join(loraDir, 'style.safetensors'));
const opened: SdModels[] = [];
after(async () => {
  for (const m of opened) await m.dispose().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

const params = (lora: unknown) => StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], width: 256, height: 256, lora, lora_dir: loraDir });

async function load(lora: unknown, log = captureLog().log): Promise<SdModels> {
  const models = await loadModelFolder(params(lora), log);
  opened.push(models);
  return models;
}

/** The text encoder's and the UNet's outputs on fixed inputs. */
async function outputs(models: SdModels): Promise<{ text: Float32Array; unet: Float32Array }> {
  const { maxTokens } = models.dialect;
  const ids = Int32Array.from({ length: maxTokens }, (_, i) => (i === 0 ? 49406 : i < 5 ? 320 + i : 49407));
  const conditioning = await models.encodeText(ids, 1);
  const sample = { data: Float32Array.from({ length: 4 * 32 * 32 }, (_, i) => Math.sin(i)), dims: [1, 4, 32, 32] };
  const unet = await models.unet({ sample, timestep: [500], conditioning });
  return { text: conditioning.encoder_hidden_states.data, unet: unet.data };
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('LoRAs on the loaded model', () => {
  it('a LoRA from the LoRA folder changes the generated tiny UNet and text encoder, every key matched; scale 0 is the base model', async () => {
    const base = await outputs(await load(''));
    const { log, lines } = captureLog();
    const styled = await outputs(await load([{ name: 'style', scale: 1 }], log));
    assert.ok(!same(base.text, styled.text), 'the text encoder changed');
    assert.ok(!same(base.unet, styled.unet), 'the UNet changed');
    const fused = lines.map((l) => JSON.parse(l) as { msg: string; applied?: Record<string, number> }).find((l) => l.msg === 'LoRAs fused into the model');
    assert.deepEqual(fused?.applied, { style: 4 });
    assert.ok(!lines.some((l) => l.includes('changed no weight')), 'no unmatched key');
    const off = await outputs(await load([{ name: 'style', scale: 0 }]));
    assert.ok(same(base.unet, off.unet) && same(base.text, off.text));
  });

  it('an unknown LoRA name is an SDL_ERR_LORA naming the folder', async () => {
    await assert.rejects(load('nothing-here'), (e) => isSdliveError(e, 'SDL_ERR_LORA') && e.field === 'lora' && e.message.includes(join(loraDir, 'nothing-here.safetensors')));
  });
});

describe('the lora parameter over the network', () => {
  const store = () => new ParameterStore(StreamDiffusionParams, { lora: [{ name: join(loraDir, 'style.safetensors'), scale: 1 }], lora_dir: loraDir }, { [LORA_CHOICES]: new LoraCatalogue(() => loraDir) });

  it('takes a name from the LoRA folder and a new scale for what is loaded; refuses paths, unknown names and a new folder', () => {
    const s = store();
    const path = join(loraDir, 'style.safetensors');
    assert.ok(s.update({ lora: [{ name: path, scale: 0.5 }] }, 'osc').ok, 'rescaling the LoRA the config gave');
    assert.ok(s.update({ lora: [{ name: 'style', scale: 0.7 }] }, 'osc').ok, 'a name in the folder');
    assert.ok(s.update({ lora: '' }, 'web').ok, 'none');
    for (const lora of [join(root, 'elsewhere.safetensors'), [{ name: '../loras/style', scale: 1 }], 'unknown']) {
      const r = s.update({ lora }, 'osc');
      assert.ok(!r.ok && r.error.message.startsWith('lora: not a LoRA in the LoRA folder; choose one of: style'), JSON.stringify(lora));
    }
    const dir = s.update({ lora_dir: '/etc' }, 'http');
    assert.ok(!dir.ok && dir.error.message.includes('cannot be set over the network'));
    assert.ok(s.update({ lora: [{ name: join(root, 'x.safetensors'), scale: 1 }] }, 'config').ok, 'the config file may give any path');
  });
});

describe('the LoRA folder in a config file', () => {
  it('is relative to the config file\'s folder, with the model kept as given', async () => {
    const dir = join(root, 'show');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'show.json');
    writeFileSync(file, JSON.stringify({ params: { model: 'builtin:tiny', lora_dir: 'loras', lora: 'ink' } }));
    const config = await configFromFlags({ config: file });
    assert.deepEqual([config.params.lora_dir, config.params.model, config.params.lora], [join(dir, 'loras'), 'builtin:tiny', 'ink']);
  });
});
