import type { Command } from 'commander';
import { startApp } from '../../app.js';
import { resolveConfig } from '../../config.js';
import { runOscBench } from '../../bench/osc.js';
import { createLogger } from '../../log.js';

interface BenchFlags {
  pipeline: string;
  param?: string;
  messages: string;
  flood: string;
  rate: string;
  json?: boolean;
}

export function registerBenchOsc(program: Command): void {
  program
    .command('bench-osc')
    .description('measure OSC message -> parameter applied latency and messages/second while the pipeline runs')
    .option('--pipeline <name>', 'pipeline running during the benchmark', 'passthrough')
    .option('--param <key>', 'bounded runtime number to drive (default: delta, else fps_cap)')
    .option('--messages <n>', 'sequential messages for the latency measurement', '2000')
    .option('--flood <n>', 'messages in the throughput flood', '50000')
    .option('--rate <n>', 'flood rate in messages/s; 0 = back to back (overload: shows the handling ceiling and kernel drops)', '20000')
    .option('--json', 'print the result as JSON')
    .action(async (flags: BenchFlags) => {
      const config = resolveConfig({
        pipeline: flags.pipeline, input: 'test:bars',
        osc: { port: 0, zeroconf: false }, http: { port: 0 }, midi: { enabled: false }, log_level: 'warn',
      });
      const app = await startApp(config, createLogger('warn'));
      try {
        const param = flags.param ?? (app.store.spec('delta') ? 'delta' : 'fps_cap');
        await new Promise((r) => setTimeout(r, 500));
        const r = await runOscBench(app, { param, latencyMessages: Number(flags.messages), floodMessages: Number(flags.flood), rate: Number(flags.rate) });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          return;
        }
        const f = (n: number) => n.toFixed(3);
        process.stdout.write([
          `pipeline ${flags.pipeline}, address ${r.address}, engine ${r.engineFps.toFixed(1)} fps (${r.frames} frames)`,
          `latency (send -> applied), ${flags.messages} messages: p50 ${f(r.latencyMs.p50)} ms, p95 ${f(r.latencyMs.p95)} ms, p99 ${f(r.latencyMs.p99)} ms, max ${f(r.latencyMs.max)} ms`,
          `flood from another thread at ${r.flood.rate ? `${r.flood.rate} msg/s` : 'full speed'}: ${r.flood.sent} sent in ${r.flood.sendSeconds.toFixed(2)} s, ${r.flood.handled} handled in ${r.flood.seconds.toFixed(2)} s = ${Math.round(r.flood.perSecond)} msg/s, last value applied: ${r.flood.lastValueApplied}`,
        ].join('\n') + '\n');
      } finally {
        await app.stop();
      }
    });
}
