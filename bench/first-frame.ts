/**
 * First-frame cost after a load: loads builtin:tiny on the cpu provider and times process() of three frames
 * (wall ms / process CPU ms). Usage: node --import tsx bench/first-frame.ts [size]
 */
import { createFrame } from '../src/io/frame.js';
import { silentLogger } from '../src/log.js';
import { streamDiffusion } from '../src/pipelines/streamdiffusion/index.js';
import { StreamDiffusionParams } from '../src/pipelines/streamdiffusion/schema.js';

const size = Number(process.argv[2] ?? 512);
const params = StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], width: size, height: size });
const pipeline = await streamDiffusion.load(params, { log: silentLogger });
const times: string[] = [];
for (let k = 0; k < 3; k++) {
  const frame = createFrame(size, size, k);
  frame.data.fill(40 + k);
  const [t0, cpu0] = [performance.now(), process.cpuUsage()];
  await pipeline.process([frame], params);
  const cpu = process.cpuUsage(cpu0);
  times.push(`${Math.round(performance.now() - t0)}/${Math.round((cpu.user + cpu.system) / 1000)}`);
}
process.stdout.write(`frames 1-3, wall ms / CPU ms: ${times.join(' ')}\n`);
await pipeline.dispose();
