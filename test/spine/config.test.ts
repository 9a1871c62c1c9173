import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readConfigFile, resolveConfig } from '../../src/config.js';
import { isSdliveError, SdliveError } from '../../src/errors.js';

function configError(input: Record<string, unknown>): SdliveError {
  try {
    resolveConfig(input);
  } catch (e) {
    assert.ok(isSdliveError(e, 'SDL_ERR_CONFIG'), String(e));
    return e;
  }
  assert.fail('config was accepted');
}

test('an empty config resolves to the documented defaults, frozen', () => {
  const c = resolveConfig({});
  assert.equal(c.pipeline, 'streamdiffusion');
  assert.equal(c.input, 'test:bars');
  assert.equal(c.osc.port, 9000);
  assert.equal(c.http.port, 9001);
  assert.equal(c.http.host, '127.0.0.1');
  assert.equal((c.params as { t_index_list: number[] }).t_index_list.length, 2);
  assert.ok(Object.isFrozen(c));
});

test('each kind of mistake gets one line naming the field, the value and the reason', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ osc: { port: 70000 } }, 'osc.port', /= 70000: .*65535/],
    [{ osc: { prot: 9000 } }, 'osc.prot', /unknown key \(did you mean "port"\?\)/],
    [{ inptu: 'test:bars' }, 'inptu', /did you mean "input"/],
    [{ frames: 'ten' }, 'frames', /= "ten": .*number/],
    [{ params: { delta: 9 } }, 'params.delta', /= 9: .*<=5/],
    [{ params: { num_inference_steps: 10, t_index_list: [5, 20] } }, 'params.t_index_list.1', /within \[0, num_inference_steps-1 = 9\]/],
    [{ params: { guidnace_scale: 2 } }, 'params.guidnace_scale', /did you mean "guidance_scale"/],
    [{ pipeline: 'streamdifusion' }, 'pipeline', /did you mean "streamdiffusion"/],
    [{ log_level: 'loud' }, 'log_level', /"loud"/],
    [{ http: { host: '0.0.0.0' } }, 'http.token', /required when http.host is 0\.0\.0\.0/],
  ];
  for (const [input, field, reason] of cases) {
    const e = configError(input);
    assert.equal(e.field, field, JSON.stringify(input));
    assert.match(e.message, new RegExp(`"${field.replace(/\./g, '\\.')}"`));
    assert.match(e.message, reason);
    assert.doesNotMatch(e.message, /\n/);
  }
});

test('an unreadable or non-JSON config file is a read error naming the file', async () => {
  const bad = join(tmpdir(), `sdlive-bad-${process.pid}.json`);
  await writeFile(bad, '{ "osc": ');
  await assert.rejects(readConfigFile(bad), (e: unknown) => isSdliveError(e, 'SDL_ERR_CONFIG_READ') && e.message.includes(bad));
  await assert.rejects(readConfigFile('/nonexistent/show.json'), /ENOENT/);
});
