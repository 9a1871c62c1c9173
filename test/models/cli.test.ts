import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { declaredDialect, TINY_VARIANTS } from '../../src/models/tiny/variants.js';
import { runCli } from '../helpers/cli.js';

describe('sdlive models', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sdlive-cli-models-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('make-tiny writes a folder that inspect --json reads back as the variant\'s dialect', async () => {
    const out = join(tmp, 'older');
    const made = await runCli(['models', 'make-tiny', '--out', out, '--variant', 'older-optimum']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), out);
    assert.match(readFileSync(join(out, 'sdlive.json'), 'utf8'), /"variant": "older-optimum"/);
    const inspected = await runCli(['models', 'inspect', out, '--json']);
    assert.equal(inspected.code, 0, inspected.stderr);
    const report = JSON.parse(inspected.stdout) as { provider: string; dialect: unknown };
    assert.equal(report.provider, 'cpu');
    assert.deepEqual(report.dialect, declaredDialect(TINY_VARIANTS['older-optimum']));
  });

  it('inspect prints a readable dialect for builtin names', async () => {
    const r = await runCli(['models', 'inspect', 'builtin:tiny-optimum-current']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /unet timestep\s+float32 scalar \(rank 0\); stream batch slot by slot/);
    assert.match(r.stdout, /latent_parameters \(mean = channels 0-3\)/);
  });

  it('a missing folder or an unknown variant exits 2 with one coded line', async () => {
    const missing = await runCli(['models', 'inspect', join(tmp, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^sdlive: SDL_ERR_MODEL_LOAD: model folder .*nope does not exist/m);
    const badVariant = await runCli(['models', 'make-tiny', '--variant', 'sd3']);
    assert.equal(badVariant.code, 2);
    assert.match(badVariant.stderr, /Allowed choices are sd-turbo, optimum-current/);
  });
});
