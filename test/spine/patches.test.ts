import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConfigFile, resolveConfig } from '../../src/config.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { parseMapping, resolveMappingPath } from '../../src/control/mappings/load.js';
import { parseSpec } from '../../src/io/registry.js';
import { pipelineByName } from '../../src/pipelines/registry.js';

const PATCHES = fileURLToPath(new URL('../../patches/', import.meta.url));

async function showConfigs(): Promise<string[]> {
  const entries = await readdir(PATCHES, { recursive: true });
  return entries.filter((e) => e.endsWith('.json') && !e.startsWith(`banks${sep}`)).map((e) => join(PATCHES, e)); // banks/ holds preset banks
}

test('every show kit in patches/ is a valid config whose specs and mapping files check out', async () => {
  const files = await showConfigs();
  assert.ok(files.length >= 4, `found ${files.length} kits`);
  for (const file of files) {
    const config = resolveConfig(await readConfigFile(file));
    parseSpec(config.input, 'input');
    for (const out of config.outputs) parseSpec(out, 'output');
    const space = new AddressSpace(pipelineByName(config.pipeline).schema);
    assert.ok(config.mappings.length > 0, `${file} names its mapping`);
    for (const name of config.mappings) {
      const path = resolveMappingPath(name);
      parseMapping(path, await readFile(path, 'utf8'), space);
    }
  }
});
