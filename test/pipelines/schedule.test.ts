import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundaryScalings, lcmOriginTimesteps, lcmTimesteps, slotSchedule } from '../../src/pipelines/streamdiffusion/schedule.js';
import { runCli } from '../helpers/cli.js';
import { alphaBar, lcmSetTimesteps } from './reference.js';

const close = (a: number, b: number, rel = 1e-12) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('LCM origin timesteps are 19, 39, ..., 999 and 50 steps give 999 - 20 i', () => {
  const origin = lcmOriginTimesteps();
  assert.equal(origin.length, 50);
  assert.deepEqual([origin[0], origin[1], origin.at(-1)], [19, 39, 999]);
  assert.deepEqual(lcmTimesteps(50), Array.from({ length: 50 }, (_, i) => 999 - 20 * i));
});

test('fewer steps skip through the reversed origin schedule (diffusers 0.24 set_timesteps)', () => {
  assert.deepEqual(lcmTimesteps(1), [999]);
  assert.deepEqual(lcmTimesteps(4), [999, 759, 519, 279]);
  assert.deepEqual(lcmTimesteps(2), [999, 499]);
  assert.deepEqual(lcmTimesteps(3), [999, 679, 359]);
  assert.throws(() => lcmTimesteps(51), RangeError);
  assert.throws(() => lcmTimesteps(0), RangeError);
});

test('every step count 1..50 gives the timesteps of the transcribed LCMScheduler.set_timesteps', () => {
  for (let steps = 1; steps <= 50; steps++) assert.deepEqual(lcmTimesteps(steps), lcmSetTimesteps(steps), `${steps} steps`);
  assert.deepEqual(lcmSetTimesteps(25).slice(0, 3), [999, 959, 919], 'skipping_step 2');
});

test('per-slot alpha, beta, c_skip, c_out match hand-derived values', () => {
  const s = slotSchedule([0, 33, 49], 50);
  assert.deepEqual(s.timesteps, [999, 339, 19]);
  s.timesteps.forEach((t, i) => {
    close(s.alpha[i]!, Math.sqrt(alphaBar(t)), 1e-10);
    close(s.beta[i]!, Math.sqrt(1 - alphaBar(t)), 1e-10);
    close(s.alpha[i]! ** 2 + s.beta[i]! ** 2, 1);
    const scaled = 10 * t;
    close(s.cSkip[i]!, 0.25 / (scaled * scaled + 0.25));
    close(s.cOut[i]!, scaled / Math.sqrt(scaled * scaled + 0.25));
  });
  // The published SD scaled_linear schedule ends at alphas_cumprod[999] ~= 0.00466.
  assert.ok(Math.abs(s.alpha[0]! ** 2 - 0.00466) < 5e-5, String(s.alpha[0]! ** 2));
  // At t = 0 the boundary condition is the identity: c_skip = 1, c_out = 0.
  assert.deepEqual(boundaryScalings(0), { cSkip: 1, cOut: 0 });
  assert.throws(() => slotSchedule([4], 4), /t_index 4/);
});

test('sdlive schedule --json prints one float64 entry per t_index', async () => {
  const r = await runCli(['schedule', '--t-index-list', '35,45', '--steps', '50', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, number[]>;
  assert.deepEqual(Object.keys(out), ['timesteps', 'alpha_prod_t_sqrt', 'beta_prod_t_sqrt', 'c_skip', 'c_out']);
  assert.deepEqual(out.timesteps, [299, 99]);
  close(out.alpha_prod_t_sqrt![0]!, Math.sqrt(alphaBar(299)), 1e-10);
  close(out.beta_prod_t_sqrt![1]!, Math.sqrt(1 - alphaBar(99)), 1e-10);
  close(out.c_skip![1]!, 0.25 / (990 ** 2 + 0.25));
  const bad = await runCli(['schedule', '--t-index-list', '10,60']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /SDL_ERR_PARAM: t_index_list\.1/);
});
