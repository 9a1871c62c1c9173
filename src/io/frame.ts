/** The engine's exchange format: tightly packed RGBA8, row-major, top row first. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** Capture time in ms on the performance.now() clock of the process that made it. */
  readonly timestamp: number;
}

export function createFrame(width: number, height: number, timestamp = performance.now()): Frame {
  return { width, height, data: new Uint8Array(width * height * 4), timestamp };
}

export function frameBytes(width: number, height: number): number {
  return width * height * 4;
}
