import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import koffi from 'koffi';
import { ndiApi, loadNdi, type NdiBinder, type NdiFunction } from '../../src/io/ndi/api.js';
import { makeNdiTransport, sourceMatches } from '../../src/io/ndi/transport.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { captureLog } from '../helpers/log-lines.js';
import {
  HEADER_FRAME_TYPE, HEADER_FUNCTIONS, HEADER_RECV_BANDWIDTH_HIGHEST, HEADER_RECV_COLOR_FORMAT, headerFourcc, HeaderFindCreate, HeaderRecvCreateV3,
  HeaderSendCreate, HeaderSource, HeaderVideoFrameV2, NDI_SDK_H,
} from './fixtures/ndi-sdk-h.js';

type Fn = (...args: never[]) => unknown;
type HeaderFrame = { xres: number; yres: number; FourCC: number; p_data: bigint; stride: { line_stride_in_bytes: number }; frame_rate_N: number; frame_rate_D: number; frame_format_type: number; timecode: number | bigint };

const HOST = 'FAKE-HOST';
/** Extra bytes per row the fake's receive buffers carry, as real NDI frames may: sdlive must follow line_stride_in_bytes. */
const PAD = 12;

/** A C string the fake owns for as long as it lives. */
function cString(keep: unknown[], s: string): unknown {
  const bytes = Buffer.from(`${s}\0`);
  const mem = koffi.alloc('uint8_t', bytes.length);
  new Uint8Array(koffi.view(mem, bytes.length)).set(bytes);
  keep.push(mem);
  return mem;
}

/**
 * A fake NDI runtime behind real native function pointers: one koffi callback per function with the header's
 * prototype (test/io/fixtures/ndi-sdk-h.ts), reading and writing the structs with the header's layout. Senders
 * publish frames that receivers of "FAKE-HOST (name)" get back, in RGBA only when asked for RGBX_RGBA (else
 * UYVY), from row-padded buffers that must be freed with NDIlib_recv_free_video_v2.
 */
function fakeNdi() {
  const keep: unknown[] = [];
  const calls: string[] = [];
  const handles = new Map<bigint, { kind: string; name: string; colorFormat?: number; bandwidth?: number }>();
  const published = new Map<string, { width: number; height: number; rgba: Uint8Array; fourcc: number; rate: number }>();
  const unfreed = new Set<bigint>();
  const state = { lost: false, sendSettings: [] as unknown[], findSettings: [] as unknown[] };
  const handle = (kind: string, name: string, extra = {}) => {
    const mem = koffi.alloc('uint8_t', 1);
    keep.push(mem);
    handles.set(koffi.address(mem), { kind, name, ...extra });
    return mem;
  };
  const impl: Record<NdiFunction, Fn> = {
    NDIlib_initialize: () => true,
    NDIlib_send_create: ((settings: unknown) => {
      const s = koffi.decode(settings, HeaderSendCreate) as { p_ndi_name: string };
      state.sendSettings.push(s);
      return handle('send', s.p_ndi_name);
    }) as Fn,
    NDIlib_send_destroy: ((h: unknown) => void published.delete(handles.get(koffi.address(h))!.name)) as Fn,
    NDIlib_send_send_video_v2: ((h: unknown, frame: unknown) => {
      const f = koffi.decode(frame, HeaderVideoFrameV2) as HeaderFrame;
      const stride = f.stride.line_stride_in_bytes;
      const src = new Uint8Array(koffi.view(f.p_data, stride * f.yres));
      const rgba = new Uint8Array(f.xres * f.yres * 4);
      for (let y = 0; y < f.yres; y++) rgba.set(src.subarray(y * stride, y * stride + f.xres * 4), y * f.xres * 4);
      published.set(handles.get(koffi.address(h))!.name, { width: f.xres, height: f.yres, rgba, fourcc: f.FourCC, rate: f.frame_rate_N / f.frame_rate_D });
    }) as Fn,
    NDIlib_find_create_v2: ((settings: unknown) => {
      state.findSettings.push(koffi.decode(settings, HeaderFindCreate));
      return handle('find', '');
    }) as Fn,
    NDIlib_find_destroy: (() => undefined) as Fn,
    NDIlib_find_get_current_sources: ((_h: unknown, count: unknown) => {
      const names = [...published.keys()];
      koffi.encode(count, 'uint32_t', names.length);
      if (!names.length) return null;
      const list = koffi.alloc(HeaderSource, names.length);
      keep.push(list);
      names.forEach((n, i) => koffi.encode(list, i * koffi.sizeof(HeaderSource), HeaderSource, { p_ndi_name: cString(keep, `${HOST} (${n})`), address: { p_url_address: null } }));
      return list;
    }) as Fn,
    NDIlib_recv_create_v3: ((settings: unknown) => {
      const s = koffi.decode(settings, HeaderRecvCreateV3) as { source_to_connect_to: { p_ndi_name: string }; color_format: number; bandwidth: number };
      const name = /\((.*)\)$/.exec(s.source_to_connect_to.p_ndi_name)?.[1] ?? '';
      return handle('recv', name, { colorFormat: s.color_format, bandwidth: s.bandwidth });
    }) as Fn,
    NDIlib_recv_destroy: (() => undefined) as Fn,
    NDIlib_recv_capture_v2: ((h: unknown, video: unknown, audio: unknown, meta: unknown, timeout: number) => {
      assert.equal(audio, null);
      assert.equal(meta, null);
      assert.equal(timeout, 0, 'a capture never blocks the engine');
      if (state.lost) return HEADER_FRAME_TYPE.error;
      const recv = handles.get(koffi.address(h))!;
      const frame = published.get(recv.name);
      if (!frame) return HEADER_FRAME_TYPE.none;
      const rgba = recv.colorFormat === HEADER_RECV_COLOR_FORMAT.RGBX_RGBA;
      const stride = frame.width * 4 + PAD;
      const mem = koffi.alloc('uint8_t', stride * frame.height);
      const bytes = new Uint8Array(koffi.view(mem, stride * frame.height)).fill(0xee);
      for (let y = 0; y < frame.height; y++) bytes.set(frame.rgba.subarray(y * frame.width * 4, (y + 1) * frame.width * 4), y * stride);
      keep.push(mem);
      unfreed.add(koffi.address(mem));
      koffi.encode(video, HeaderVideoFrameV2, {
        xres: frame.width, yres: frame.height, FourCC: headerFourcc(rgba ? 'RGBA' : 'UYVY'), frame_rate_N: 30000, frame_rate_D: 1001,
        picture_aspect_ratio: 0, frame_format_type: 1, timecode: 0, p_data: mem, stride: { line_stride_in_bytes: stride }, p_metadata: null, timestamp: 0,
      });
      return HEADER_FRAME_TYPE.video;
    }) as Fn,
    NDIlib_recv_free_video_v2: ((_h: unknown, video: unknown) => {
      const f = koffi.decode(video, HeaderVideoFrameV2) as HeaderFrame;
      assert.ok(unfreed.delete(f.p_data), 'frees a buffer the library gave, once');
    }) as Fn,
  };
  const registered: unknown[] = [];
  const pointers = Object.fromEntries(Object.entries(HEADER_FUNCTIONS).map(([name, [ret, params]]) => {
    const proto = koffi.proto(`Header_${name}`, ret, [...params]);
    const cb = koffi.register((...args: never[]) => {
      calls.push(name);
      return impl[name as NdiFunction](...args);
    }, koffi.pointer(proto));
    registered.push(cb);
    return [name, cb];
  }));
  /** sdlive's own prototypes, called through the header-laid-out function pointers. */
  const bind: NdiBinder = (name, result, params) => {
    const proto = koffi.proto(result, params);
    return (...args) => koffi.call(pointers[name], proto, ...args);
  };
  return { bind, calls, handles, published, unfreed, state, dispose: () => registered.forEach((cb) => koffi.unregister(cb as never)) };
}

const fake = fakeNdi();
after(() => fake.dispose());
const ctx = { log: silentLogger, width: 8, height: 4, fps: 30 };
const transport = makeNdiTransport(() => ndiApi(fake.bind));

/** Every byte distinct from its neighbours; alpha 255. */
function picture(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 13 + seed) % 256;
  return { width, height, data, timestamp: 0 };
}

test(`an NDI sink and source round-trip frames through a fake library laid out from the NDI SDK ${NDI_SDK_H.version} headers`, async () => {
  const sink = await transport.openSink!('show-out', ctx);
  assert.deepEqual(fake.state.sendSettings.at(-1), { p_ndi_name: 'show-out', p_groups: null, clock_video: false, clock_audio: false }, 'not clocked: a send never waits for the frame rate');
  const sent = picture(8, 4, 1);
  sink.write(sent);
  const published = fake.published.get('show-out')!;
  assert.equal(published.fourcc, headerFourcc('RGBA'));
  assert.equal(published.rate, 30);
  assert.deepEqual(published.rgba, sent.data);

  const source = await transport.openSource!('show-out', ctx);
  assert.deepEqual(fake.state.findSettings.at(-1), { show_local_sources: true, p_groups: null, p_extra_ips: null });
  const got = source.latest();
  assert.ok(got, 'the source found "FAKE-HOST (show-out)" and received');
  const recv = [...fake.handles.values()].find((h) => h.kind === 'recv')!;
  assert.deepEqual([recv.name, recv.colorFormat, recv.bandwidth], ['show-out', HEADER_RECV_COLOR_FORMAT.RGBX_RGBA, HEADER_RECV_BANDWIDTH_HIGHEST]);
  assert.deepEqual([got.width, got.height], [8, 4]);
  assert.deepEqual(got.data, sent.data, 'rows copied by line_stride_in_bytes, not by width');
  assert.equal(fake.unfreed.size, 0, 'every captured frame freed');

  const resized = picture(16, 2, 7);
  sink.write(resized);
  assert.deepEqual(source.latest()!.data, resized.data, 'a new size needs no restart');
  await source.close();
  await sink.close();
  assert.equal(fake.published.has('show-out'), false, 'NDIlib_send_destroy on close');
  assert.ok(fake.calls.includes('NDIlib_recv_destroy') && fake.calls.includes('NDIlib_find_destroy'));
});

test('an NDI source waits for its sender (one warning), holds the last frame when the connection is lost (one warning) and says when it is back', async () => {
  const { log, lines } = captureLog();
  const source = await transport.openSource!('later', { ...ctx, log });
  assert.equal(source.latest(), undefined);
  assert.equal(source.latest(), undefined);
  const sink = await transport.openSink!('later', ctx);
  sink.write(picture(8, 4, 3));
  await new Promise((resolve) => setTimeout(resolve, 550));
  const held = source.latest();
  assert.ok(held);
  fake.state.lost = true;
  assert.equal(source.latest(), held);
  assert.equal(source.latest(), held);
  assert.equal(source.stats().connected, false);
  fake.state.lost = false;
  sink.write(picture(8, 4, 4));
  assert.notEqual(source.latest(), held);
  assert.equal(source.stats().connected, true);
  const count = (text: string) => lines.filter((l) => l.includes(text)).length;
  assert.deepEqual([count('not on the network yet'), count('NDI source found'), count('NDI source lost'), count('NDI source reconnected')], [1, 1, 1, 1]);
  await source.close();
  await sink.close();
});

test('NDI source names: "NAME" or "MACHINE (NAME)"; an empty name takes the first', () => {
  assert.ok(sourceMatches('Resolume Arena', 'STUDIO (Resolume Arena)'));
  assert.ok(sourceMatches('STUDIO (Resolume Arena)', 'STUDIO (Resolume Arena)'));
  assert.ok(!sourceMatches('Resolume', 'STUDIO (Resolume Arena)'));
  assert.ok(sourceMatches('', 'STUDIO (Resolume Arena)'));
});

test('a missing NDI runtime is SDL_ERR_TRANSPORT_UNAVAILABLE naming the field and where to get it', () => {
  assert.throws(() => loadNdi({ field: 'outputs', spec: 'ndi:x' }, '/nonexistent/libndi.so.6'), (e: Error & { field?: string; code?: string }) => {
    assert.equal(e.code, 'SDL_ERR_TRANSPORT_UNAVAILABLE');
    assert.equal(e.field, 'outputs');
    assert.match(e.message, /^--output ndi:x \(config field "outputs"\): NDI runtime not found.*NDI_RUNTIME_DIR_V6/);
    return true;
  });
});

test('sdlive run --output ndi:NAME without the runtime exits 2 at start-up with one line naming the field', { timeout: 60_000 }, async () => {
  const r = await runCli(['run', '--pipeline', 'passthrough', '--input', 'test:bars', '--output', 'ndi:sdlive', '--osc-port', '0', '--http-port', '0', '--frames', '3'], {
    env: { NDI_RUNTIME_DIR_V6: '/nonexistent-ndi-runtime' },
  });
  assert.equal(r.code, 2, r.stderr);
  const errorLines = r.stderr.split('\n').filter((l) => l.includes('SDL_ERR_TRANSPORT_UNAVAILABLE'));
  assert.equal(errorLines.length, 1, r.stderr);
  assert.match(errorLines[0]!, /--output ndi:sdlive \(config field "outputs"\)/);
  assert.match(errorLines[0]!, /ndi\.link\/NDIRedistV6|NDI_RUNTIME_DIR_V6/);
});
