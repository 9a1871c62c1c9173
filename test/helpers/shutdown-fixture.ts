// Child process for test/spine/shutdown.test.ts: a stop that takes STOP_MS, with or without recordings open.
import { installShutdownSignals, onShutdown } from '../../src/cli/shutdown.js';
import { setTimeout as sleep } from 'node:timers/promises';

const [stopMs, recordings] = [Number(process.argv[2]), process.argv[3] === 'recordings'];
installShutdownSignals();
onShutdown(async () => {
  process.stdout.write('stopping\n');
  await sleep(stopMs);
  process.stdout.write('stopped\n');
}, { recordings: () => recordings });
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
