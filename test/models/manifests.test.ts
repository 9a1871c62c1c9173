import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

test('every model manifest in models/ names its source and export, and its parameters pass the schema', async () => {
  const files = (await readdir(MODELS)).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 2, `found ${files.length} manifests`);
  for (const file of files) {
    const manifest = JSON.parse(await readFile(`${MODELS}${file}`, 'utf8')) as Record<string, unknown>;
    for (const key of ['name', 'source', 'export', 'params']) assert.ok(manifest[key], `${file}: ${key}`);
    const parsed = StreamDiffusionParams.safeParse(manifest.params);
    assert.ok(parsed.success, `${file}: ${parsed.error?.issues[0]?.message}`);
  }
});
