import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadFileToCacheDir } from '@huggingface/hub';
import { CatalogueManifest, ModelCatalogue, manifestModels } from '../../src/models/catalogue.js';
import { HubCache } from '../../src/models/hub/cache.js';
import { fetchModel } from '../../src/models/hub/fetch.js';
import { removeModel } from '../../src/models/hub/manage.js';
import type { FetchProgress } from '../../src/models/hub/progress.js';
import { loadSdModels } from '../../src/models/load.js';
import { makeTinyModel } from '../../src/models/tiny/make-tiny.js';
import { CLI, runCli } from '../helpers/cli.js';
import { closedPort, filesOf, StandInHub, type FixtureRepo } from './hub-server.js';

const TMP = mkdtempSync(join(tmpdir(), 'sdlive-hub-'));
const TINY_SD = 'sdlive-test/tiny-sd';
const TINY_VAE = 'sdlive-test/tiny-vae';
const TOKEN = 'hf_standin_token_123';

function fixtureRepos(): FixtureRepo[] {
  const sd = makeTinyModel(join(TMP, 'src-sd'), 'sd-turbo');
  const vae = makeTinyModel(join(TMP, 'src-vae'), 'sd15');
  return [
    {
      repo: TINY_SD, commit: 'a'.repeat(40), license: 'openrail',
      files: [
        ...filesOf(sd).filter((f) => f.path !== 'sdlive.json'),
        { path: 'model_index.json', bytes: Buffer.from('{"_class_name": "StableDiffusionPipeline"}\n') },
        { path: 'README.md', bytes: Buffer.from('---\nlicense: openrail\n---\n') },
        { path: 'unet/diffusion_pytorch_model.safetensors', virtualSize: 20e9 },
        { path: 'text_encoder/model.safetensors', virtualSize: 1.4e9 },
        { path: 'huge/weights.safetensors', virtualSize: 1e15 },
      ],
    },
    { repo: TINY_VAE, commit: 'b'.repeat(40), license: 'mit', files: filesOf(vae).filter((f) => /^vae_/.test(f.path)) },
  ];
}

/** A fresh cache (and sdlive home) per test that needs one. */
function freshCache(name: string): HubCache {
  return new HubCache(join(TMP, name, 'hub'));
}

const silent: FetchProgress = { begin() {}, file() {}, advance() {}, note() {}, end() {} };

function recorder(): { lines: string[]; progress: FetchProgress; say: (l: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    say: (l) => lines.push(l),
    progress: { begin: (total) => lines.push(`begin ${total}`), file: (p, _s, at) => lines.push(`file ${p} ${at}`), advance() {}, note: (l) => lines.push(`note ${l}`), end() {} },
  };
}

const PARTS_MANIFEST = CatalogueManifest.parse({
  name: 'tiny-parts', source: 'test', export: 'none', params: {},
  licence: { name: 'Test Licence', commercial: false },
  providers: ['cuda'], providers_note: 'stand-in note',
  parts: {
    text_encoder: { repo: TINY_SD }, unet: { repo: TINY_SD }, tokenizer: { repo: TINY_SD },
    vae_encoder: { repo: TINY_VAE }, vae_decoder: { repo: TINY_VAE },
  },
});

describe('sdlive models fetch against a stand-in hub', () => {
  const hub = new StandInHub(fixtureRepos(), { prefix: '/mirror', pageSize: 3, token: TOKEN });
  let endpoint = '';
  const access = () => ({ hubUrl: endpoint, accessToken: TOKEN });

  before(async () => {
    endpoint = await hub.start();
    Object.assign(process.env, { HF_HUB_CACHE: join(TMP, 'cli', 'hub'), SDLIVE_HOME: join(TMP, 'cli', 'sdlive'), HF_ENDPOINT: endpoint, HF_TOKEN: TOKEN });
  });
  after(async () => {
    await hub.stop();
    rmSync(TMP, { recursive: true, force: true });
  });

  it('fetches a repo through HF_ENDPOINT with HF_TOKEN, only its ONNX layout, never the safetensors', async () => {
    const r = await runCli(['models', 'fetch', TINY_SD]);
    assert.equal(r.code, 0, r.stderr);
    const snapshot = join(TMP, 'cli', 'hub', 'models--sdlive-test--tiny-sd', 'snapshots', 'a'.repeat(40));
    assert.equal(r.stdout.trim(), snapshot);
    assert.match(r.stderr, /model card licence: openrail/);
    assert.match(r.stderr, /; total \[#{24}\] 1\.6 MB of 1\.6 MB, [\d.]+ [kM]?B\/s, ETA 00:00\n/, 'plain progress lines off a TTY, ending at the total');
    assert.match(r.stderr, /ready: sdlive run --model sdlive-test\/tiny-sd/);
    assert.ok(hub.requests.length > 0);
    assert.ok(hub.requests.every((q) => q.path.startsWith('/mirror/')), 'every request went through HF_ENDPOINT');
    assert.ok(hub.requests.every((q) => q.authorization === `Bearer ${TOKEN}`), 'HF_TOKEN sent as a Bearer header');
    assert.ok(hub.requests.some((q) => q.path.includes('/tree/') && q.path.length > 0) && hub.requests.filter((q) => q.path.includes('/tree/')).length > 1, 'the tree was read page by page');
    assert.deepEqual(hub.requests.filter((q) => /safetensors|README/.test(q.path)), []);
    const fetched = hub.downloads().map((q) => q.path.replace(/^.*\/resolve\/[^/]+\//, '')).sort();
    assert.ok(fetched.includes('unet/model.onnx') && fetched.includes('tokenizer/vocab.json') && fetched.includes('model_index.json'), fetched.join());
    assert.ok(existsSync(join(snapshot, 'vae_decoder', 'model.onnx')));
  });

  it('writes the layout huggingface_hub reads (refs/main -> snapshot -> symlinks into blobs named by content)', () => {
    const script = `
import hashlib, os, sys
root, repo = sys.argv[1], sys.argv[2]
folder = os.path.join(root, "models--" + repo.replace("/", "--"))
sha = open(os.path.join(folder, "refs", "main")).read().strip()
snap = os.path.join(folder, "snapshots", sha)
blobs = os.path.realpath(os.path.join(folder, "blobs"))
count = 0
for dirpath, _, files in os.walk(snap):
    for f in files:
        p = os.path.join(dirpath, f)
        assert os.path.islink(p), p
        real = os.path.realpath(p)
        assert os.path.dirname(real) == blobs, real
        data = open(real, "rb").read()
        name = os.path.basename(real)
        git = hashlib.sha1(b"blob %d\\0" % len(data) + data).hexdigest()
        assert name in (hashlib.sha256(data).hexdigest(), git), p
        if f.endswith(".onnx"):
            assert name == hashlib.sha256(data).hexdigest(), p
        count += 1
assert not [b for b in os.listdir(blobs) if b.endswith(".incomplete")]
print(sha, count)
`;
    const out = execFileSync('python3', ['-c', script, join(TMP, 'cli', 'hub'), TINY_SD], { encoding: 'utf8' });
    assert.match(out, new RegExp(`^${'a'.repeat(40)} (\\d+)\\n$`));
    assert.ok(Number(out.split(' ')[1]) >= 10, out);
    const link = join(TMP, 'cli', 'hub', 'models--sdlive-test--tiny-sd', 'snapshots', 'a'.repeat(40), 'unet', 'model.onnx');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.match(readlinkSync(link), /^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/, 'relative links, as huggingface_hub makes them');
  });

  it('sdlive run --model OWNER/REPO loads the fetched repo and runs frames', async () => {
    const r = await runCli(['run', '--model', TINY_SD, '--frames', '3', '--http-port', '0', '--osc-port', '0'], { timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /"dir":"[^"]*models--sdlive-test--tiny-sd\/snapshots\/a{40}"[^\n]*"msg":"model loaded"/);
    assert.match(r.stdout + r.stderr, /3 frames done/);
  });

  it('a second fetch is served from the cache: no file downloaded', async () => {
    const before = hub.downloads().length;
    const r = await runCli(['models', 'fetch', TINY_SD]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(hub.downloads().length, before);
    assert.match(r.stderr, /\(0 downloaded, \d+ already cached\)/);
  });

  it('a manifest in ./models: fetch shows licence and providers first, then inspect and run use its assembled folder', async () => {
    const show = join(TMP, 'show');
    mkdirSync(join(show, 'models'), { recursive: true });
    writeFileSync(join(show, 'models', 'tiny-parts.json'), JSON.stringify(PARTS_MANIFEST));
    const fetched = await runCliIn(show, ['models', 'fetch', 'tiny-parts']);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout.trim(), join(TMP, 'cli', 'sdlive', 'models', 'tiny-parts'));
    const err = fetched.stderr;
    assert.ok(err.indexOf('licence: Test Licence (NOT for commercial use') < err.indexOf('downloading '), err);
    assert.ok(err.indexOf('runs on: cuda ONLY (stand-in note)') < err.indexOf('downloading '), err);
    // Only the VAE repo is new (its two config.json files are one blob): the rest is in the cache.
    assert.match(err, /downloading 3 file\(s\)/);
    assert.match(err, /\(3 downloaded, 7 already cached\)/);
    const inspected = await runCliIn(show, ['models', 'inspect', 'tiny-parts']);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, new RegExp(`^part vae_decoder\\s+sdlive-test/tiny-vae@main \\(commit ${'b'.repeat(40)}\\)$`, 'm'));
    const ran = await runCliIn(show, ['run', '--model', 'tiny-parts', '--frames', '3', '--http-port', '0', '--osc-port', '0']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout + ran.stderr, /3 frames done/);
  });

  it('models list shows the cached repo with its size; models rm removes it', async () => {
    const listed = await runCli(['models', 'list']);
    assert.match(listed.stdout, /^sdlive-test\/tiny-sd\s+\d+(\.\d)? [kM]B\s/m);
    assert.match(listed.stdout, /^sd-turbo\s+not fetched yet: sdlive models fetch sd-turbo$/m);
    const removed = await runCli(['models', 'rm', TINY_SD]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!existsSync(join(TMP, 'cli', 'hub', 'models--sdlive-test--tiny-sd')));
    const again = await runCli(['models', 'list']);
    assert.doesNotMatch(again.stdout, /sdlive-test\/tiny-sd/);
  });

  it('a name not fetched says which fetch command brings it', async () => {
    const r = await runCli(['models', 'inspect', 'sdlive-test/not-here']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sdlive: SDL_ERR_MODEL_LOAD: model "sdlive-test\/not-here" is not fetched yet \(and no folder \S+\/sdlive-test\/not-here exists\): sdlive models fetch sdlive-test\/not-here$/m);
  });

  it('an unreachable hub gives one line naming the URL and what to set', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCliWith({ HF_ENDPOINT: dead }, ['models', 'fetch', TINY_SD]);
    assert.equal(r.code, 2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('sdlive:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, new RegExp(`^sdlive: SDL_ERR_HUB: cannot reach ${dead}/api/models/${TINY_SD}/revision/main \\(ECONNREFUSED\\): .*HF_ENDPOINT.*by hand`));
  });

  it('without the token the stand-in refuses, and the line says to set HF_TOKEN', async () => {
    const cache = freshCache('no-token');
    await assert.rejects(fetchModel(TINY_SD, { manifests: [], cache, access: { hubUrl: endpoint }, progress: silent, say() {} }), (e: Error) => {
      assert.match(e.message, /answered 401: a gated or private repo needs HF_TOKEN/);
      return true;
    });
  });

  it('an interrupted download resumes with a Range request and the file is complete', async () => {
    const cache = freshCache('resume');
    hub.cutOnce.add('unet/model.onnx');
    const rec = recorder();
    const start = hub.requests.length;
    const result = await fetchModel(TINY_SD, { manifests: [], cache, access: access(), progress: rec.progress, say: rec.say });
    const unet = hub.requests.slice(start).filter((q) => q.path.endsWith('/resolve/main/unet/model.onnx') || q.path.endsWith(`/resolve/${'a'.repeat(40)}/unet/model.onnx`)).filter((q) => q.range !== 'bytes=0-0');
    assert.equal(unet.length, 2, JSON.stringify(unet));
    assert.equal(unet[0]!.range, undefined);
    const original = hub.repos[0]!.files.find((f) => f.path === 'unet/model.onnx')!.bytes!;
    assert.equal(unet[1]!.range, `bytes=${Math.floor(original.length / 2)}-${original.length - 1}`);
    assert.ok(rec.lines.some((l) => /^note unet\/model.onnx: connection lost .*resuming/.test(l)), rec.lines.join('\n'));
    assert.deepEqual(readFileSync(join(result.folder!, 'unet', 'model.onnx')), original);
  });

  it('a partial file left by an earlier run (blobs/<sha>.incomplete) is resumed from its length', async () => {
    const cache = freshCache('partial');
    const file = hub.repos[0]!.files.find((f) => f.path === 'text_encoder/model.onnx')!;
    const oid = (hub.entry(file) as { lfs: { oid: string } }).lfs.oid;
    mkdirSync(join(cache.repoDir(TINY_SD), 'blobs'), { recursive: true });
    writeFileSync(`${cache.blobPath(TINY_SD, oid)}.incomplete`, file.bytes!.subarray(0, 1000));
    const start = hub.requests.length;
    const rec = recorder();
    await fetchModel(TINY_SD, { manifests: [], cache, access: access(), progress: rec.progress, say: rec.say });
    const te = hub.requests.slice(start).filter((q) => q.path.endsWith('text_encoder/model.onnx') && q.range !== 'bytes=0-0');
    assert.deepEqual(te.map((q) => q.range), [`bytes=1000-${file.bytes!.length - 1}`]);
    assert.deepEqual(readFileSync(cache.blobPath(TINY_SD, oid)), file.bytes);
    assert.ok(rec.lines.includes('file text_encoder/model.onnx 1000'));
  });

  it('a checksum mismatch deletes the partial and fails naming the file', async () => {
    const cache = freshCache('corrupt');
    hub.corrupt.add('text_encoder/model.onnx');
    try {
      await assert.rejects(fetchModel(TINY_SD, { manifests: [], cache, access: access(), progress: silent, say() {} }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'SDL_ERR_CHECKSUM');
        assert.match(e.message, /text_encoder\/model.onnx: checksum mismatch \(sha256 [0-9a-f]{64}, the hub lists [0-9a-f]{64}\); the partial download was deleted/);
        return true;
      });
    } finally {
      hub.corrupt.clear();
    }
    const file = hub.repos[0]!.files.find((f) => f.path === 'text_encoder/model.onnx')!;
    const oid = (hub.entry(file) as { lfs: { oid: string } }).lfs.oid;
    assert.ok(!existsSync(cache.blobPath(TINY_SD, oid)) && !existsSync(`${cache.blobPath(TINY_SD, oid)}.incomplete`));
  });

  it('disk space is checked before anything is downloaded', async () => {
    const cache = freshCache('disk');
    const huge = CatalogueManifest.parse({ ...PARTS_MANIFEST, name: 'huge', parts: { unet: { repo: TINY_SD, folder: 'huge', files: ['weights.safetensors'] } } });
    const start = hub.downloads().length;
    await assert.rejects(fetchModel('huge', { manifests: [huge], cache, access: access(), progress: silent, say() {} }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SDL_ERR_DISK_SPACE');
      assert.match(e.message, /^the download needs 1000 TB in .*disk\/hub, which has [\d.]+ [kMGT]?B free: free space or set HF_HUB_CACHE to a bigger disk$/);
      return true;
    });
    assert.equal(hub.downloads().length, start);
  });

  it('the library\'s own downloadFileToCacheDir and sdlive write the same cache: each finds the other\'s files', async () => {
    const cache = freshCache('library');
    const commit = 'a'.repeat(40);
    const written = await downloadFileToCacheDir({ repo: TINY_SD, path: 'unet/model.onnx', revision: commit, cacheDir: cache.root, ...access() });
    assert.equal(written, join(cache.snapshotDir(TINY_SD, commit), 'unet', 'model.onnx'));
    assert.equal(cache.cachedFile(TINY_SD, commit, 'unet/model.onnx'), written);
    const start = hub.downloads().length;
    const result = await fetchModel(TINY_SD, { manifests: [], cache, access: access(), progress: silent, say() {} });
    const fetchedPaths = hub.downloads().slice(start).map((q) => q.path.replace(/^.*\/resolve\/[^/]+\//, ''));
    assert.ok(!fetchedPaths.includes('unet/model.onnx') && fetchedPaths.includes('text_encoder/model.onnx'), fetchedPaths.join());
    assert.equal(result.downloaded, result.files.length - 2, 'the library\'s blob and one shared config.json blob were not fetched again');
  });

  it('a manifest of parts from two repos: licence and providers first, then one folder the loader loads', async () => {
    const cache = freshCache('parts');
    const dir = join(TMP, 'parts-manifests');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tiny-parts.json'), JSON.stringify(PARTS_MANIFEST));
    const catalogue = new ModelCatalogue([manifestModels(dir, cache)]);
    assert.equal(catalogue.find('tiny-parts')?.present(), false);
    assert.throws(() => catalogue.folderOf('tiny-parts'), /not fetched yet: sdlive models fetch tiny-parts/);
    const rec = recorder();
    const result = await fetchModel('tiny-parts', { manifests: [PARTS_MANIFEST], cache, access: access(), progress: rec.progress, say: rec.say });
    const licence = rec.lines.findIndex((l) => /licence: Test Licence \(NOT for commercial use/.test(l));
    const providers = rec.lines.findIndex((l) => l.includes('runs on: cuda ONLY (stand-in note)'));
    const begin = rec.lines.findIndex((l) => l.startsWith('begin '));
    assert.ok(licence >= 0 && providers >= 0 && licence < begin && providers < begin, rec.lines.join('\n'));
    const fresh = new ModelCatalogue([manifestModels(dir, cache)]);
    const folder = fresh.folderOf('tiny-parts');
    assert.equal(folder, result.folder);
    assert.match(realpathSync(join(folder, 'vae_decoder', 'model.onnx')), /models--sdlive-test--tiny-vae\/blobs\/[0-9a-f]{64}$/);
    assert.match(realpathSync(join(folder, 'unet', 'model.onnx')), /models--sdlive-test--tiny-sd\/blobs\/[0-9a-f]{64}$/);
    assert.ok(!existsSync(join(folder, 'unet', 'diffusion_pytorch_model.safetensors')));
    const models = await loadSdModels(folder);
    assert.equal(models.dialect.textWidth, 1024);
    await models.dispose();
    const lines = removeModel('tiny-parts', [PARTS_MANIFEST], cache);
    assert.ok(lines.some((l) => l.includes('models--sdlive-test--tiny-vae')), lines.join('\n'));
    assert.equal(new ModelCatalogue([manifestModels(dir, cache)]).find('tiny-parts')?.present(), false);
  });
});

/** The CLI started in `cwd` (so ./models holds the test's manifests). */
function runCliIn(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], { cwd, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function runCliWith(env: Record<string, string>, args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return runCli(args);
  } finally {
    process.env = saved;
  }
}
