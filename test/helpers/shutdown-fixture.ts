// Child process for test/spine/shutdown.test.ts: a stop that takes STOP_MS, with or without recordings open
// ('recordings-later': one starts after the stop was registered, as record/start does at run time).
import { installShutdownSignals, onShutdown } from '../../src/cli/shutdown.js';
import { setTimeout as sleep } from 'node:timers/promises';

const [stopMs, mode] = [Number(process.argv[2]), process.argv[3]];
let recording = mode === 'recordings';
installShutdownSignals();
onShutdown(async () => {
  process.stdout.write('stopping\n');
  await sleep(stopMs);
  process.stdout.write('stopped\n');
}, { recordings: () => recording });
if (mode === 'recordings-later') recording = true;
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
