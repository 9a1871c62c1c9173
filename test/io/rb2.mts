import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ShmRingReader } from '../../src/io/shm/ring.js';
const name='rb2';
const child = spawn(process.execPath, ['--import', 'tsx', 'test/io/fixtures/shm-writer.ts', name, '4000', '128', '128', '0.2'], { stdio: ['pipe', 'pipe', 'inherit'] });
await once(child.stdout, 'data');
const reader = ShmRingReader.open(name);
child.stdin.write('go\n');
const t0 = performance.now(); let frames=0, none=0, first=0;
for (;;) { const r = reader.read(); if (r.kind==='frame') { frames++; if (!first) first = performance.now()-t0; } else if (r.kind==='none') none++; else break; if (performance.now()-t0>10000) break; }
console.log({frames, none, first, total: performance.now()-t0, retries: reader.retries});
