import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { replay, SessionRecorder } from '../../src/bench/raw-sessions.js';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { createSession, sessionOptions, setSessionHook } from '../../src/models/providers.js';

const dir = mkdtempSync(join(tmpdir(), 'sdlive-raw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function reluFile(folder: string): string {
  const g = new GraphBuilder('relu', 1);
  g.output(g.op('Relu', [g.input('x', 'float32', ['n'])]), 'y', 'float32', ['n']);
  mkdirSync(join(dir, folder));
  const file = join(dir, folder, 'model.onnx');
  writeFileSync(file, g.toBytes(17));
  return file;
}

test('the session hook records runs only while recording, with host copies of the feeds, and replays them on the real session', async () => {
  const recorder = new SessionRecorder();
  setSessionHook(recorder.hook);
  const session = await createSession(reluFile('unet'), sessionOptions('cpu')).finally(() => setSessionHook(undefined));
  const x = new ort.Tensor('float32', Float32Array.of(-1, 2, -3), [3]);
  await session.run({ x });
  assert.equal(recorder.runs.length, 0, 'not recording: nothing kept');
  recorder.recording = true;
  const { y } = await session.run({ x });
  recorder.recording = false;
  assert.deepEqual(Array.from(y!.data as Float32Array), [0, 2, 0], 'the wrapped session runs as the real one');
  x.data.fill(5);
  assert.deepEqual(recorder.runs.map((r) => [r.session, r.inputs]), [['unet', { x: [3] }]], 'labelled by the model file\'s folder');
  const kept = recorder.runs[0]!;
  assert.deepEqual(Array.from((kept.args[0] as Record<string, ort.Tensor>).x!.data as Float32Array), [-1, 2, -3], 'feeds copied at run time');
  const timings = await replay(recorder.runs, 5, 1);
  assert.ok(timings.frame.median > 0 && timings.frame.median === timings.sessions[kept.session]!.median, JSON.stringify(timings));
  await session.release();
});
