import { Command, Option } from 'commander';
import { formatBenchReport } from '../../bench/format.js';
import { CONFIGURED_ROW, runBench, STREAMDIFFUSION_MATRIX } from '../../bench/matrix.js';
import { createLogger, LOG_LEVELS } from '../../log.js';
import { intOption } from '../int-option.js';
import { configFromFlags } from './run.js';

interface BenchFlags {
  model?: string;
  frames: number;
  warmup: number;
  ep?: string;
  json?: boolean;
  only?: string[];
  pipeline?: string;
  set?: string[];
  logLevel?: string;
}

async function bench(flags: BenchFlags): Promise<void> {
  const set = [...(flags.set ?? []), ...(flags.ep ? [`execution_providers=${JSON.stringify(flags.ep.split(','))}`] : [])];
  const config = await configFromFlags({ pipeline: flags.pipeline, model: flags.model, set, logLevel: flags.logLevel ?? 'warn' });
  const report = await runBench(config, createLogger(config.log_level), flags);
  process.stdout.write(`${flags.json ? JSON.stringify(report, null, 2) : formatBenchReport(report)}\n`);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a pipeline headless on generated frames, one row per configuration of its matrix: fps, per-stage ms (median, p95), transfers and the time over raw onnxruntime sessions')
    .option('-m, --model <dir>', 'model folder, or builtin:tiny')
    .option('--frames <n>', 'frames to measure per row', intOption(1), 30)
    .option('--warmup <n>', 'frames to run first and not measure', intOption(0), 3)
    .option('--ep <list>', 'execution providers to try, comma-separated (e.g. cuda,cpu)')
    .option('--pipeline <name>', 'pipeline: streamdiffusion or passthrough')
    .option('-s, --set <key=value>', 'set a pipeline parameter, repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('--only <rows>', `rows to run, comma-separated (streamdiffusion: ${STREAMDIFFUSION_MATRIX.map((r) => r.name).join(', ')}; ${CONFIGURED_ROW}: the parameters as set)`, (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .action(bench);
}
