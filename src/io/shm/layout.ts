/**
 * Byte layout of an sdlive shared-memory frame ring (docs/shm-layout.md is the normative description; the
 * TouchDesigner script in patches/touchdesigner/ mirrors these numbers). All fields little-endian uint32
 * unless noted. Offsets are in bytes.
 */
export const SHM_MAGIC = 0x564c4453; // bytes "SDLV"
export const SHM_VERSION = 1;
export const FORMAT_RGBA8 = 1;
export const HEADER_BYTES = 64;
export const SLOT_HEADER_BYTES = 64;
export const DEFAULT_SLOTS = 3;

/** Header fields, as uint32 indices (byte offset / 4). */
export const H = {
  magic: 0,
  version: 1,
  headerBytes: 2,
  slotCount: 3,
  /** Pixel capacity of one slot in bytes. */
  slotCapacity: 4,
  /** Distance between slot starts in bytes: SLOT_HEADER_BYTES + capacity rounded up to 64. */
  slotStride: 5,
  /** Size of the newest frame (informational; each slot carries its own). */
  width: 6,
  height: 7,
  format: 8,
  /** Frames published so far; the newest is in slot (frameCounter % slotCount). */
  frameCounter: 9,
  /** 0 live, 1 closed by the writer (a reader should drop the mapping and reopen later). */
  state: 10,
  writerPid: 11,
} as const;

/** Slot header fields, as uint32 indices from the slot's start. */
export const S = {
  /** Seqlock: odd while the writer is inside the slot. */
  seq: 0,
  frame: 1,
  width: 2,
  height: 3,
  /** float64 at byte 16: capture time, ms since the Unix epoch. */
  timestampLo: 4,
  bytes: 6,
} as const;

export const STATE_LIVE = 0;
export const STATE_CLOSED = 1;

export interface RingGeometry {
  slotCount: number;
  slotCapacity: number;
  slotStride: number;
  totalBytes: number;
}

export function ringGeometry(slotCount: number, slotCapacity: number): RingGeometry {
  const slotStride = SLOT_HEADER_BYTES + Math.ceil(slotCapacity / 64) * 64;
  return { slotCount, slotCapacity, slotStride, totalBytes: HEADER_BYTES + slotCount * slotStride };
}

export const slotOffset = (g: RingGeometry, slot: number): number => HEADER_BYTES + slot * g.slotStride;

/** performance.now() of this process <-> ms since the epoch, so timestamps mean the same in every process. */
export const toEpochMs = (t: number): number => performance.timeOrigin + t;
export const fromEpochMs = (t: number): number => t - performance.timeOrigin;
