import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSink, openSource, parseSpec, TRANSPORTS } from '../../src/io/registry.js';
import { parseTarget } from '../../src/io/spec-target.js';
import { inputArgs, outputArgs } from '../../src/io/ffmpeg/args.js';
import { silentLogger } from '../../src/log.js';

test('every backend is registered by scheme', () => {
  assert.deepEqual(Object.keys(TRANSPORTS).sort(), ['ffmpeg', 'file', 'ndi', 'raw', 'shm', 'spout', 'syphon', 'test']);
});

test('every documented example parses in some direction', () => {
  for (const t of Object.values(TRANSPORTS)) {
    for (const ex of t.examples) {
      const ok = (['input', 'output'] as const).some((d) => {
        try {
          return parseSpec(ex, d).transport === t;
        } catch {
          return false;
        }
      });
      assert.ok(ok, ex);
    }
  }
});

test('a misspelt scheme suggests the right one', () => {
  assert.throws(() => parseSpec('shn:sdlive-in', 'input'), /did you mean "shm:"/);
  assert.throws(() => parseSpec('raw:x', 'input'), /no input transport "raw"/);
});

test('sdlive options are split off, a URL keeps its own query', () => {
  const a = parseTarget('td_in?raw=1&width=512&height=512', ['raw', 'width', 'height']);
  assert.equal(a.path, 'td_in');
  assert.equal(a.options.get('width'), '512');
  const b = parseTarget('srt://127.0.0.1:9999?mode=listener', ['loop', 'format']);
  assert.equal(b.path, 'srt://127.0.0.1:9999?mode=listener');
  assert.equal(b.options.size, 0);
});

test('ffmpeg command lines: files loop in real time, live inputs are low-delay, outputs pick a container', () => {
  const file = inputArgs(parseTarget('clip.mp4', []), 512, 512, 30).args.join(' ');
  assert.match(file, /-re -stream_loop -1 -i clip\.mp4/);
  assert.match(file, /scale=512:512:force_original_aspect_ratio=decrease,pad=512:512/);
  assert.match(file, /-fps_mode passthrough -f rawvideo -pix_fmt rgba pipe:1$/);
  const cam = inputArgs(parseTarget('/dev/video0', []), 512, 512, 30);
  assert.match(cam.args.join(' '), /-fflags nobuffer -flags low_delay (-f v4l2 )?-i \/dev\/video0/);
  assert.equal(cam.endsByItself, false);
  const dshow = inputArgs(parseTarget('video=Cam?format=dshow', ['format']), 512, 512, 30).args.join(' ');
  assert.match(dshow, /-fflags nobuffer -flags low_delay -f dshow -i video=Cam /, 'a capture format is live: no -re, no loop');
  assert.match(inputArgs(parseTarget('frames/%04d.png', []), 64, 64, 25).args.join(' '), /-re -framerate 25 -loop 1 -i frames\/%04d\.png/);
  assert.equal(inputArgs(parseTarget('clip.mp4?loop=0', ['loop']), 64, 64, 25).endsByItself, true);
  assert.match(outputArgs(parseTarget('srt://127.0.0.1:9999', []), 512, 512, 30).join(' '), /-use_wallclock_as_timestamps 1 .*-s 512x512 -i pipe:0 -an -fps_mode cfr -r 30 .*libx264.*-f mpegts srt:\/\/127\.0\.0\.1:9999$/);
  assert.match(outputArgs(parseTarget('out.mp4', []), 64, 64, 30).join(' '), /-use_wallclock_as_timestamps 1 .*-i pipe:0 -an -fps_mode vfr .*out\.mp4$/, 'a file keeps each frame at its wall-clock time');
  assert.match(outputArgs(parseTarget('out.mp4?fps=25', ['fps']), 64, 64, 30).join(' '), /-fps_mode cfr -r 25 /);
  assert.match(outputArgs(parseTarget('seq/%04d.png', []), 64, 64, 30).join(' '), /-r 30 .*-i pipe:0 -an seq/, 'an image sequence writes every frame');
  assert.match(outputArgs(parseTarget('rtsp://127.0.0.1:8554/live', []), 64, 64, 30).join(' '), /-f rtsp rtsp:/);
  assert.match(outputArgs(parseTarget('/dev/video10', []), 64, 64, 30).join(' '), /-pix_fmt yuv420p -f v4l2 \/dev\/video10$/);
  assert.match(outputArgs(parseTarget('out.mkv?codec=ffv1', ['codec']), 64, 64, 30).join(' '), /-c:v ffv1 out\.mkv$/);
});

test('malformed shm, test, raw and option specs are coded spec errors', async () => {
  const ctx = { log: silentLogger, width: 64, height: 64, fps: 30 };
  const isSpecError = (e: Error & { code?: string }) => e.code === 'SDL_ERR_TRANSPORT_SPEC';
  await assert.rejects(openSource('shm:bad name', ctx), isSpecError);
  await assert.rejects(openSource('test:foo', ctx), isSpecError);
  await assert.rejects(openSink('raw:', ctx), isSpecError);
  await assert.rejects(openSource('shm:x?raw=1&width=-3', ctx), isSpecError);
  await assert.rejects(openSource('ffmpeg:', ctx), isSpecError);
});
