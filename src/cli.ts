#!/usr/bin/env node
import { installShutdownSignals } from './cli/shutdown.js';

// Before the command modules (onnxruntime and the rest) load: a signal during start-up is already a clean stop.
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'run') installShutdownSignals();
// A closed pipe (`sdlive schema | head`) is a normal end. Not under `run`: there stdout carries raw:- frames, and a
// reader that goes away ends that sink, never the show.
else process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

const { main } = await import('./cli/main.js');
await main(process.argv);
