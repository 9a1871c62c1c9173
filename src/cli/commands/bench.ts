import { Command, Option } from 'commander';
import { formatBenchReport, runEngineBench } from '../../bench/engine.js';
import { createLogger, LOG_LEVELS } from '../../log.js';
import { intOption } from '../int-option.js';
import { configFromFlags } from './run.js';

interface BenchFlags {
  model?: string;
  frames: number;
  warmup: number;
  ep?: string;
  json?: boolean;
  pipeline?: string;
  set?: string[];
  logLevel?: string;
}

async function bench(flags: BenchFlags): Promise<void> {
  const set = [...(flags.set ?? []), ...(flags.ep ? [`execution_providers=${JSON.stringify(flags.ep.split(','))}`] : [])];
  const config = await configFromFlags({ pipeline: flags.pipeline, model: flags.model, set, logLevel: flags.logLevel ?? 'warn' });
  const report = await runEngineBench(config, createLogger(config.log_level), flags);
  process.stdout.write(`${flags.json ? JSON.stringify(report, null, 2) : formatBenchReport(report)}\n`);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a pipeline headless on generated frames and print fps, per-stage ms (median, p95) and the engine overhead')
    .option('-m, --model <dir>', 'model folder, or builtin:tiny')
    .option('--frames <n>', 'frames to measure', intOption(1), 50)
    .option('--warmup <n>', 'frames to run first and not measure', intOption(0), 3)
    .option('--ep <list>', 'execution providers to try, comma-separated (e.g. cuda,cpu)')
    .option('--pipeline <name>', 'pipeline: streamdiffusion or passthrough')
    .option('-s, --set <key=value>', 'set a pipeline parameter, repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .action(bench);
}
