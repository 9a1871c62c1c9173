// Reader process for `sdlive bench-io`: reads a ring as fast as it can until the writer closes it, then
// prints one JSON line: how many frames it got, the mean copy time, and each frame's write-to-read delay.
import { ShmRingReader } from '../../io/shm/ring.js';

const name = process.argv[2]!;
let reader: ShmRingReader | undefined;
for (const start = Date.now(); !reader && Date.now() - start < 5000;) {
  try {
    reader = ShmRingReader.open(name);
  } catch {
    await new Promise((r) => setTimeout(r, 5));
  }
}
if (!reader) throw new Error(`no ring ${name}`);
process.stdout.write('ready\n');
const delays: number[] = [];
let copyMs = 0;
for (;;) {
  const t0 = performance.now();
  const r = reader.read();
  if (r.kind === 'closed') break;
  if (r.kind === 'frame') {
    const now = performance.now();
    copyMs += now - t0;
    delays.push(now - r.frame.timestamp);
  }
}
reader.close();
process.stdout.write(`${JSON.stringify({ frames: delays.length, copyMs: copyMs / Math.max(1, delays.length), delays })}\n`);
