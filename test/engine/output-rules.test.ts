import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readConfigFile, resolveConfig } from '../../src/config.js';
import { checkNetworkOutput, recordingSpec } from '../../src/engine/output-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'sdlive-output-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('over the network an output may be a ring, a sender or a network stream, never something that writes a file', () => {
  for (const spec of ['shm:out', 'spout:sdlive', 'syphon:', 'ndi:sdlive', 'ffmpeg:srt://127.0.0.1:9999', 'ffmpeg:udp://239.0.0.1:1234', 'ffmpeg:rtsp://server/live', 'ffmpeg:rtmp://host/app/key']) {
    assert.doesNotThrow(() => checkNetworkOutput(spec), spec);
  }
  for (const spec of ['file:/tmp/x.mp4', 'raw:/tmp/x.rgba', 'raw:-', 'ffmpeg:/tmp/x.mp4', 'ffmpeg:file:/tmp/x.mp4', 'ffmpeg:/dev/video10', 'ffmpeg:udp://h:1?format=tee', 'ffmpeg:udp://h:1|/tmp/x.ts']) {
    assert.throws(() => checkNetworkOutput(spec), /may not write files/, spec);
  }
});

test('a recording name stays inside the folder, with a known container', () => {
  assert.equal(recordingSpec(dir, 'take').spec, `file:${join(dir, 'take.mkv')}`);
  assert.equal(recordingSpec(dir, 'take.mp4').spec, `file:${join(dir, 'take.mp4')}`);
  assert.equal(recordingSpec(dir, 'take.rgba').spec, `raw:${join(dir, 'take.rgba')}`);
  writeFileSync(join(dir, 'kept.mkv'), 'x');
  assert.equal(recordingSpec(dir, 'kept.mkv').file, join(dir, 'kept-1.mkv'), 'an existing file is never the target');
  for (const name of ['../up.mkv', 'a/b.mkv', '/abs.mkv', '.hidden', 'x..mkv', 'take.exe', 'take.mkv?overwrite=1', '']) {
    assert.throws(() => recordingSpec(dir, name), /recording name/, name);
  }
});

test('recordings.folder is relative to the config file, "recordings" next to it by default', async () => {
  const file = join(dir, 'show.json');
  writeFileSync(file, JSON.stringify({ recordings: { folder: 'takes' } }));
  assert.equal(resolveConfig(await readConfigFile(file)).recordings.folder, join(dir, 'takes'));
  writeFileSync(file, JSON.stringify({}));
  assert.equal(resolveConfig(await readConfigFile(file)).recordings.folder, join(dir, 'recordings'));
  writeFileSync(file, JSON.stringify({ recordings: { folder: 3 } }));
  const bad = await readConfigFile(file);
  assert.throws(() => resolveConfig(bad), /config field "recordings\.folder"/);
});
