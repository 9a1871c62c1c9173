import type { Command } from 'commander';
import { paramError } from '../../engine/parameter-store.js';
import { slotSchedule } from '../../pipelines/streamdiffusion/schedule.js';
import { StreamDiffusionParams } from '../../pipelines/streamdiffusion/schema.js';

interface ScheduleFlags {
  tIndexList?: string;
  steps?: string;
  json?: boolean;
}

/** The flags, validated by the parameter schema (the same rules OSC and config files obey). */
function scheduleParams(flags: ScheduleFlags): StreamDiffusionParams {
  const patch = {
    ...(flags.tIndexList !== undefined ? { t_index_list: flags.tIndexList.split(',').map((v) => Number(v.trim())) } : {}),
    ...(flags.steps !== undefined ? { num_inference_steps: Number(flags.steps) } : {}),
  };
  const parsed = StreamDiffusionParams.safeParse(patch);
  if (!parsed.success) throw paramError(parsed.error);
  return parsed.data;
}

export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description('print the LCM schedule values (timestep, alpha, beta, c_skip, c_out) for each t_index')
    .option('--t-index-list <list>', 'comma-separated t_index values (default: the schema default)')
    .option('--steps <n>', 'num_inference_steps (default: the schema default)')
    .option('--json', 'JSON: one array per quantity, one entry per t_index, float64')
    .action((flags: ScheduleFlags) => {
      const p = scheduleParams(flags);
      const s = slotSchedule(p.t_index_list, p.num_inference_steps);
      const table = { timesteps: s.timesteps, alpha_prod_t_sqrt: s.alpha, beta_prod_t_sqrt: s.beta, c_skip: s.cSkip, c_out: s.cOut };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(table)}\n`);
        return;
      }
      process.stdout.write(`${['t_index', ...Object.keys(table)].map((h) => h.padEnd(18)).join('')}\n`);
      p.t_index_list.forEach((t, i) => {
        const row = [t, ...Object.values(table).map((col) => col[i]!)];
        process.stdout.write(`${row.map((v) => String(Number.isInteger(v) ? v : v.toPrecision(10)).padEnd(18)).join('')}\n`);
      });
    });
}
