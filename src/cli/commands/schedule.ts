import type { Command } from 'commander';
import { paramError } from '../../engine/parameter-store.js';
import { slotSchedule } from '../../pipelines/streamdiffusion/schedule.js';
import { StreamDiffusionParams } from '../../pipelines/streamdiffusion/schema.js';

interface ScheduleFlags {
  tIndexList?: string;
  steps?: string;
  json?: boolean;
}

/**
 * The flags, validated by the parameter schema (the same rules OSC and config files obey). `--steps` alone would
 * fail on the default t_index_list (indices into 50 steps): it takes the last index of the shorter schedule.
 */
function scheduleParams(flags: ScheduleFlags): StreamDiffusionParams {
  const steps = flags.steps !== undefined ? Number(flags.steps) : undefined;
  const tIndexList = flags.tIndexList !== undefined ? flags.tIndexList.split(',').map((v) => Number(v.trim())) : undefined;
  const patch = {
    ...(tIndexList ? { t_index_list: tIndexList } : steps !== undefined && Number.isInteger(steps) && steps >= 1 ? { t_index_list: [steps - 1] } : {}),
    ...(steps !== undefined ? { num_inference_steps: steps } : {}),
  };
  if (!tIndexList && 't_index_list' in patch) process.stderr.write(`no --t-index-list: using [${steps! - 1}], the last index of a ${steps}-step schedule\n`);
  const parsed = StreamDiffusionParams.safeParse(patch);
  if (!parsed.success) throw paramError(parsed.error);
  return parsed.data;
}

function explanation(steps: number): string {
  return [
    `One row per denoising step (t_index_list) of a ${steps}-step LCM schedule:`,
    `  t_index            position in the schedule, 0..${steps - 1}: near 0 = much noise added, a strong change; near ${steps - 1} = faithful to the input`,
    '  timesteps          the UNet timestep it maps to (999 = pure noise, 0 = none)',
    '  alpha_prod_t_sqrt  how much of the image is kept when noise is added at that step (1 = all of it)',
    '  beta_prod_t_sqrt   how much noise is mixed in (0 = none)',
    '  c_skip, c_out      how the result mixes the noisy input (c_skip) and the model\'s prediction (c_out)',
  ].join('\n');
}

export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description('print the LCM schedule values (timestep, alpha, beta, c_skip, c_out) for each t_index')
    .option('--t-index-list <list>', 'comma-separated t_index values (default: the schema default)')
    .option('--steps <n>', 'num_inference_steps (default 50); alone, the t_index_list is its last index')
    .option('--json', 'JSON: one array per quantity, one entry per t_index, float64')
    .action((flags: ScheduleFlags) => {
      const p = scheduleParams(flags);
      const s = slotSchedule(p.t_index_list, p.num_inference_steps);
      const table = { timesteps: s.timesteps, alpha_prod_t_sqrt: s.alpha, beta_prod_t_sqrt: s.beta, c_skip: s.cSkip, c_out: s.cOut };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(table)}\n`);
        return;
      }
      process.stdout.write(`${explanation(p.num_inference_steps)}\n\n${['t_index', ...Object.keys(table)].map((h) => h.padEnd(18)).join('')}\n`);
      p.t_index_list.forEach((t, i) => {
        const row = [t, ...Object.values(table).map((col) => col[i]!)];
        process.stdout.write(`${row.map((v) => String(Number.isInteger(v) ? v : v.toPrecision(10)).padEnd(18)).join('')}\n`);
      });
    });
}
