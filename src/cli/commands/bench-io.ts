import { Command, Option } from 'commander';
import { benchIo, formatBenchIo } from '../../bench/io/index.js';

export function registerBenchIo(program: Command): void {
  program
    .command('bench-io')
    .description('measure the frame I/O paths (shared memory across processes, ffmpeg pipes and files): frames per second and added latency')
    .addOption(new Option('--size <px>', 'frame size (square); default both').choices(['512', '1024']))
    .option('--frames <n>', 'frames per measurement', '300')
    .option('--json', 'print the results as JSON')
    .action(async (opts: { size?: string; frames: string; json?: boolean }) => {
      const frames = Number(opts.frames);
      if (!Number.isInteger(frames) || frames < 10) throw new Error(`--frames ${opts.frames}: expected an integer >= 10`);
      const results = [];
      for (const size of opts.size ? [Number(opts.size)] : [512, 1024]) results.push(await benchIo(size, frames));
      process.stdout.write(`${opts.json ? JSON.stringify(results, null, 2) : formatBenchIo(results)}\n`);
    });
}
