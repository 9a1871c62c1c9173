import type { Frame } from '../frame.js';
import { frameBytes } from '../frame.js';
import {
  DEFAULT_SLOTS, FORMAT_RGBA8, H, HEADER_BYTES, S, SHM_MAGIC, SHM_VERSION, STATE_CLOSED, STATE_LIVE,
  fromEpochMs, ringGeometry, slotOffset, toEpochMs, type RingGeometry,
} from './layout.js';
import { createMapping, MappingInUseError, mappingSize, openMapping, unlinkMapping, type SharedMapping } from './mapping.js';

function words(m: SharedMapping): Uint32Array {
  return new Uint32Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength >>> 2);
}

/**
 * A ring of another size left under this name (a crashed writer, an older size) is marked closed and removed
 * rather than resized: shrinking a file under a reader's mapping would crash the reader (SIGBUS).
 */
function retireStale(name: string, wanted: number): void {
  const size = mappingSize(name);
  if (size === undefined || size === wanted) return;
  if (size >= HEADER_BYTES) markClosed(name);
  unlinkMapping(name);
}

/** Sets state=closed in the ring under this name, if it is one: its readers let go of it. */
function markClosed(name: string): void {
  const old = openMapping(name, HEADER_BYTES);
  if (Atomics.load(words(old), H.magic) === SHM_MAGIC) Atomics.store(words(old), H.state, STATE_CLOSED);
  old.close();
}

/**
 * Creates the region, or (Windows) finds the name still held by a reader of an older ring (a crashed writer's,
 * or ours before a resize): that ring is marked closed so the reader lets go, and the error is passed on so
 * the caller retries with the next frame and gets a fresh region of the right size.
 */
function createFresh(name: string, size: number): SharedMapping {
  try {
    return createMapping(name, size);
  } catch (e) {
    if (e instanceof MappingInUseError) markClosed(name);
    throw e;
  }
}

/**
 * Publishes frames into a ring of slots. Each slot is guarded by a seqlock (sequence odd while writing), and
 * the frame counter moves only after the slot is complete, so a reader never takes a half-written frame.
 * A frame larger than the ring's capacity recreates the ring (readers see state=closed and reopen).
 */
export class ShmRingWriter {
  private mapping: SharedMapping | undefined;
  private u32!: Uint32Array;
  private view!: DataView;
  private geometry!: RingGeometry;

  constructor(readonly name: string, private readonly slots = DEFAULT_SLOTS) {}

  private create(capacity: number): void {
    this.retire();
    this.geometry = ringGeometry(this.slots, capacity);
    retireStale(this.name, this.geometry.totalBytes);
    const m = createFresh(this.name, this.geometry.totalBytes);
    m.bytes.fill(0, 0, HEADER_BYTES);
    this.mapping = m;
    this.u32 = words(m);
    this.view = new DataView(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    const u = this.u32;
    u[H.version] = SHM_VERSION;
    u[H.headerBytes] = HEADER_BYTES;
    u[H.slotCount] = this.geometry.slotCount;
    u[H.slotCapacity] = capacity;
    u[H.slotStride] = this.geometry.slotStride;
    u[H.format] = FORMAT_RGBA8;
    u[H.writerPid] = process.pid;
    for (let s = 0; s < this.slots; s++) u[(slotOffset(this.geometry, s) >> 2) + S.seq] = 0;
    Atomics.store(u, H.state, STATE_LIVE);
    Atomics.store(u, H.magic, SHM_MAGIC);
  }

  /** Ensures a ring exists for frames of this size (readers can attach before the first frame). */
  prepare(width: number, height: number): void {
    if (!this.mapping || frameBytes(width, height) > this.geometry.slotCapacity) this.create(frameBytes(width, height));
  }

  write(frame: Frame): void {
    this.prepare(frame.width, frame.height);
    const u = this.u32;
    const n = (Atomics.load(u, H.frameCounter) + 1) >>> 0;
    const base = slotOffset(this.geometry, n % this.geometry.slotCount);
    const w = base >> 2;
    const seq = Atomics.load(u, w + S.seq);
    Atomics.store(u, w + S.seq, (seq | 1) >>> 0);
    u[w + S.frame] = n;
    u[w + S.width] = frame.width;
    u[w + S.height] = frame.height;
    this.view.setFloat64(base + S.timestampLo * 4, toEpochMs(frame.timestamp), true);
    u[w + S.bytes] = frame.data.length;
    this.mapping!.bytes.set(frame.data, base + 64);
    Atomics.store(u, w + S.seq, ((seq | 1) + 1) >>> 0);
    u[H.width] = frame.width;
    u[H.height] = frame.height;
    Atomics.store(u, H.frameCounter, n);
  }

  /** Marks the ring closed so readers let go, and unmaps it. */
  private retire(): void {
    if (!this.mapping) return;
    Atomics.store(this.u32, H.state, STATE_CLOSED);
    this.mapping.close();
    this.mapping = undefined;
    unlinkMapping(this.name);
  }

  close(): void {
    this.retire();
  }
}

export type ReadResult = { kind: 'frame'; frame: Frame } | { kind: 'none' } | { kind: 'closed' };

/** Reads the newest complete frame of a ring created by ShmRingWriter (in any process or language). */
export class ShmRingReader {
  private u32: Uint32Array;
  private view: DataView;
  private geometry: RingGeometry;
  private lastFrame = 0;
  /** Reads that raced the writer and were retried: the seqlock doing its job. */
  retries = 0;

  private constructor(private readonly mapping: SharedMapping) {
    this.u32 = words(mapping);
    this.view = new DataView(mapping.bytes.buffer, mapping.bytes.byteOffset, mapping.bytes.byteLength);
    this.geometry = ringGeometry(this.u32[H.slotCount]!, this.u32[H.slotCapacity]!);
  }

  /** Attaches to an existing ring; throws if it is absent, not an sdlive ring, or closed. */
  static open(name: string): ShmRingReader {
    const size = mappingSize(name);
    const head = openMapping(name, HEADER_BYTES);
    let total: number;
    try {
      const u = words(head);
      if (Atomics.load(u, H.magic) !== SHM_MAGIC) throw new Error(`shared memory "${name}" is not an sdlive frame ring (bad magic); use ?raw=1 for headerless buffers`);
      if (u[H.version] !== SHM_VERSION) throw new Error(`shared memory "${name}" has layout version ${u[H.version]}, this sdlive reads ${SHM_VERSION}`);
      if (u[H.format] !== FORMAT_RGBA8) throw new Error(`shared memory "${name}" has pixel format ${u[H.format]}, expected ${FORMAT_RGBA8} (RGBA8)`);
      if (Atomics.load(u, H.state) !== STATE_LIVE) throw new Error(`shared memory "${name}" was closed by its writer`);
      total = ringGeometry(u[H.slotCount]!, u[H.slotCapacity]!).totalBytes;
    } finally {
      head.close();
    }
    if (size !== undefined && size < total) throw new Error(`shared memory "${name}" is ${size} bytes, its header says ${total}`);
    return new ShmRingReader(openMapping(name, total));
  }

  /** The newest frame not returned before; 'none' when there is none yet, 'closed' when the writer left. */
  read(): ReadResult {
    const u = this.u32;
    for (let attempt = 0; attempt < 8; attempt++) {
      if (Atomics.load(u, H.state) !== STATE_LIVE) return { kind: 'closed' };
      const n = Atomics.load(u, H.frameCounter);
      if (n === this.lastFrame) return { kind: 'none' };
      const base = slotOffset(this.geometry, n % this.geometry.slotCount);
      const w = base >> 2;
      const seq = Atomics.load(u, w + S.seq);
      const width = u[w + S.width]!;
      const height = u[w + S.height]!;
      const bytes = u[w + S.bytes]!;
      const valid = (seq & 1) === 0 && u[w + S.frame] === n && bytes === frameBytes(width, height) && bytes <= this.geometry.slotCapacity;
      if (valid) {
        // Uninitialised memory: every byte is overwritten by the copy, so skip zero-filling megabytes.
        const data = new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
        data.set(this.mapping.bytes.subarray(base + 64, base + 64 + bytes));
        const timestamp = fromEpochMs(this.view.getFloat64(base + S.timestampLo * 4, true));
        if (Atomics.load(u, w + S.seq) === seq) {
          this.lastFrame = n;
          return { kind: 'frame', frame: { width, height, data, timestamp } };
        }
      }
      this.retries++;
    }
    return { kind: 'none' };
  }

  close(): void {
    this.mapping.close();
  }
}
