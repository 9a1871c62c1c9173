import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CatalogueManifest, hubCacheModels, manifestModels, ModelCatalogue } from '../../src/models/catalogue.js';
import { HubCache } from '../../src/models/hub/cache.js';
import { hubAccess } from '../../src/models/hub/client.js';
import { inPart, isRunnable, layoutParts, partEntries, type ModelPart, type PartName } from '../../src/models/hub/parts.js';
import { TtyProgress } from '../../src/models/hub/progress.js';
import { loadSdModels } from '../../src/models/load.js';
import { makeTinyModel } from '../../src/models/tiny/make-tiny.js';
import { EXECUTION_PROVIDERS } from '../../src/pipelines/streamdiffusion/schema.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'sdlive-hubcat-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** Writes a repo into a cache the way huggingface_hub's snapshot_download does (Python, standard library only). */
function pythonSnapshot(cacheRoot: string, repo: string, source: string, commit: string, ref: string): void {
  const script = `
import hashlib, os, sys
root, repo, src, commit, ref = sys.argv[1:6]
folder = os.path.join(root, "models--" + repo.replace("/", "--"))
os.makedirs(os.path.join(folder, "blobs"), exist_ok=True)
for dirpath, _, files in os.walk(src):
    for f in files:
        data = open(os.path.join(dirpath, f), "rb").read()
        rel = os.path.relpath(os.path.join(dirpath, f), src)
        blob = hashlib.sha256(data).hexdigest()
        open(os.path.join(folder, "blobs", blob), "wb").write(data)
        link = os.path.join(folder, "snapshots", commit, rel)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(os.path.join(folder, "blobs", blob), os.path.dirname(link)), link)
os.makedirs(os.path.join(folder, "refs"), exist_ok=True)
open(os.path.join(folder, "refs", ref), "w").write(commit)
`;
  execFileSync('python3', ['-c', script, cacheRoot, repo, source, commit, ref]);
}

describe('the Hugging Face cache as a catalogue source', () => {
  const root = join(TMP, 'hub');
  const cache = new HubCache(root);
  const tiny = makeTinyModel(join(TMP, 'tiny'), 'sd-turbo');
  pythonSnapshot(root, 'someone/py-model', tiny, 'c'.repeat(40), 'main');
  pythonSnapshot(root, 'someone/py-model', tiny, 'd'.repeat(40), 'v2');
  pythonSnapshot(root, 'someone/vae-only', join(tiny, 'vae_decoder'), 'e'.repeat(40), 'main');

  it('a repo fetched by the Python tools is a model name (owner/repo, owner/repo@ref) that loads', async () => {
    const catalogue = new ModelCatalogue([hubCacheModels(cache)]);
    assert.deepEqual(catalogue.names().sort(), ['someone/py-model', 'someone/py-model@v2']);
    assert.equal(catalogue.refusal('someone/py-model'), undefined);
    assert.match(catalogue.refusal('someone/vae-only') ?? '', /not a model name this engine knows/);
    const folder = catalogue.folderOf('someone/py-model');
    assert.equal(folder, join(root, 'models--someone--py-model', 'snapshots', 'c'.repeat(40)));
    const m = await loadSdModels(folder);
    await m.dispose();
  });

  it('a manifest whose parts the Python tools fetched is present and assembles into a folder of links', () => {
    const parts = { text_encoder: { repo: 'someone/py-model', revision: 'v2' }, unet: { repo: 'someone/py-model' }, tokenizer: { repo: 'someone/py-model' }, vae_decoder: { repo: 'someone/py-model' }, vae_encoder: { repo: 'someone/py-model' } };
    const manifests = join(TMP, 'manifests');
    mkdirSync(manifests, { recursive: true });
    writeFileSync(join(manifests, 'py-parts.json'), JSON.stringify({ name: 'py-parts', source: 't', export: 't', params: {}, parts }));
    const env = { ...process.env, SDLIVE_HOME: join(TMP, 'sdlive') };
    const saved = process.env;
    process.env = env;
    try {
      const catalogue = new ModelCatalogue([manifestModels(manifests, cache)]);
      assert.equal(catalogue.find('py-parts')?.present(), true);
      const folder = catalogue.folderOf('py-parts');
      assert.equal(folder, join(TMP, 'sdlive', 'models', 'py-parts'));
      assert.equal(realpathSync(join(folder, 'text_encoder', 'model.onnx')).startsWith(join(root, 'models--someone--py-model', 'blobs')), true);
      assert.deepEqual(readdirSync(folder).sort(), ['sdlive-parts.json', 'text_encoder', 'tokenizer', 'unet', 'vae_decoder', 'vae_encoder']);
      const record = JSON.parse(readFileSync(join(folder, 'sdlive-parts.json'), 'utf8')) as Record<string, { commit: string }>;
      assert.equal(record.text_encoder?.commit, 'd'.repeat(40));
      assert.equal(record.unet?.commit, 'c'.repeat(40));
    } finally {
      process.env = saved;
    }
  });
});

describe('which files a part takes', () => {
  // stabilityai/sdxl-turbo's folders: ONNX files beside the diffusers safetensors (file names from its tree).
  const sdxlTurbo = [
    'model_index.json', 'README.md', 'sd_xl_turbo_1.0.safetensors', 'sd_xl_turbo_1.0_fp16.safetensors',
    'text_encoder/config.json', 'text_encoder/model.fp16.safetensors', 'text_encoder/model.onnx', 'text_encoder/model.safetensors',
    'text_encoder_2/config.json', 'text_encoder_2/model.fp16.safetensors', 'text_encoder_2/model.onnx', 'text_encoder_2/model.onnx_data', 'text_encoder_2/model.safetensors',
    'tokenizer/merges.txt', 'tokenizer/special_tokens_map.json', 'tokenizer/tokenizer_config.json', 'tokenizer/vocab.json',
    'tokenizer_2/merges.txt', 'tokenizer_2/special_tokens_map.json', 'tokenizer_2/tokenizer_config.json', 'tokenizer_2/vocab.json',
    'unet/config.json', 'unet/diffusion_pytorch_model.fp16.safetensors', 'unet/diffusion_pytorch_model.safetensors', 'unet/model.onnx', 'unet/model.onnx_data',
    'vae/config.json', 'vae/diffusion_pytorch_model.fp16.safetensors', 'vae/diffusion_pytorch_model.safetensors',
    'vae_decoder/config.json', 'vae_decoder/model.onnx', 'vae_encoder/config.json', 'vae_encoder/model.onnx', 'scheduler/scheduler_config.json',
  ];

  it('the ONNX layout of stabilityai/sdxl-turbo: every ONNX file, config and tokenizer file, no safetensors', () => {
    const parts = layoutParts('stabilityai/sdxl-turbo', 'main', sdxlTurbo);
    assert.deepEqual(Object.keys(parts).sort(), ['text_encoder', 'text_encoder_2', 'tokenizer', 'tokenizer_2', 'unet', 'vae_decoder', 'vae_encoder']);
    const taken = sdxlTurbo.filter((p) => partEntries(parts).some(([n, part]) => inPart(n, part, p)));
    assert.deepEqual(taken.filter((p) => p.endsWith('.safetensors')), []);
    assert.deepEqual(taken.filter((p) => /onnx/.test(p)), ['text_encoder/model.onnx', 'text_encoder_2/model.onnx', 'text_encoder_2/model.onnx_data', 'unet/model.onnx', 'unet/model.onnx_data', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx']);
    assert.equal(taken.length, 20, "2 text_encoder + 3 text_encoder_2 + 4 + 4 tokenizers + 3 unet + 2 + 2 vae");
  });

  it('external data under every exporter name stays beside its .onnx; a part with files takes only those', () => {
    const part: ModelPart = { repo: 'a/b', revision: 'main' };
    for (const f of ['unet/model.onnx_data', 'unet/model.onnx.data', 'unet/weights.pb']) assert.ok(inPart('unet', part, f), f);
    assert.ok(!inPart('unet', part, 'unet/sub/model.onnx'));
    const picked: ModelPart = { repo: 'a/b', revision: 'main', folder: 'onnx', files: ['unet_q4f16.onnx'] };
    assert.ok(inPart('unet' as PartName, picked, 'onnx/unet_q4f16.onnx'));
    assert.ok(!inPart('unet' as PartName, picked, 'onnx/text_encoder_q4f16.onnx'));
  });
});

describe('the manifests for the real repos (real-models.md)', () => {
  const manifests = readdirSync(MODELS).filter((f) => f.endsWith('.json')).map((f) => CatalogueManifest.parse(JSON.parse(readFileSync(join(MODELS, f), 'utf8'))));
  const byName = new Map(manifests.map((m) => [m.name, m]));
  const repoOf = (name: string, part: PartName) => byName.get(name)?.parts?.[part]?.repo;

  it('each hub manifest states licence, size and providers; runnable ones have every folder the loader reads', () => {
    const hub = manifests.filter((m) => m.parts);
    assert.deepEqual(hub.map((m) => m.name).sort(), ['controlnet-canny', 'controlnet-depth', 'controlnet-openpose', 'controlnet-scribble', 'lcm-dreamshaper-v7', 'sd-1.5-controlnet', 'sd-turbo', 'sd-turbo-cuda', 'sdxl-turbo', 'taesd', 'taesdxl']);
    for (const m of hub) {
      assert.ok(m.licence && m.size_gb && m.providers, m.name);
      for (const p of m.providers) assert.ok((EXECUTION_PROVIDERS as readonly string[]).includes(p), `${m.name}: ${p}`);
      if (isRunnable(m.parts!)) for (const part of ['text_encoder', 'unet', 'tokenizer', 'vae_encoder', 'vae_decoder'] as const) assert.ok(m.parts![part], `${m.name}: ${part}`);
    }
  });

  it('the repos, licences and providers of the fact sheet', () => {
    assert.equal(repoOf('sd-turbo', 'unet'), 'schmuell/sd-turbo-ort-web');
    assert.equal(repoOf('sd-turbo', 'vae_decoder'), 'julienkay/taesd');
    assert.equal(repoOf('sdxl-turbo', 'text_encoder_2'), 'stabilityai/sdxl-turbo');
    assert.equal(repoOf('sdxl-turbo', 'vae_decoder'), 'julienkay/taesdxl');
    assert.equal(repoOf('lcm-dreamshaper-v7', 'unet'), 'SimianLuo/LCM_Dreamshaper_v7');
    assert.equal(repoOf('taesdxl', 'vae_encoder'), 'julienkay/taesdxl');
    assert.deepEqual(byName.get('sd-turbo-cuda')?.providers, ['cuda']);
    assert.equal(byName.get('sd-turbo')?.licence?.commercial, false);
    assert.equal(byName.get('sdxl-turbo')?.licence?.commercial, false);
    assert.equal(byName.get('lcm-dreamshaper-v7')?.licence?.commercial, true);
    assert.equal(byName.get('taesd')?.licence?.commercial, true);
  });
});

describe('progress on a terminal', () => {
  it('redraws a file bar and a total bar in place, with speed and ETA', () => {
    let written = '';
    const out = { write: (s: string) => ((written += s), true) } as unknown as NodeJS.WritableStream;
    const p = new TtyProgress(out);
    p.begin(2000, 1);
    p.file('unet/model.onnx', 2000, 0);
    p.advance(1000);
    p.advance(1000);
    p.end();
    assert.match(written, /unet\/model\.onnx \[#{24}\] 2\.0 kB of 2\.0 kB\ntotal \[#{24}\] 2\.0 kB of 2\.0 kB, [\d.]+ [kMG]?B\/s, ETA /);
    assert.ok(written.includes('\x1b[1A\x1b[2K'), 'the bars are redrawn over the previous ones');
  });
});

describe('HF_ENDPOINT and HF_TOKEN', () => {
  it('are read as the Python tools read them: a mirror URL (trailing slash dropped), the hub by default, a token checked', () => {
    assert.deepEqual(hubAccess({}), { hubUrl: 'https://huggingface.co' });
    assert.deepEqual(hubAccess({ HF_ENDPOINT: 'https://mirror.example/hf/', HF_TOKEN: 'hf_abc' }), { hubUrl: 'https://mirror.example/hf', accessToken: 'hf_abc' });
    assert.throws(() => hubAccess({ HF_TOKEN: 'abc' }), /HF_TOKEN does not look like a Hugging Face token \(they start with hf_\)/);
  });
});
