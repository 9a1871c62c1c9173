import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerBenchIo } from './bench-io.js';
import { registerBenchOsc } from './bench-osc.js';
import { registerCommand } from './command.js';
import { registerDoctor } from './doctor.js';
import { registerMappings } from './mappings.js';
import { registerModels } from './models.js';
import { registerRun } from './run.js';
import { registerSchedule } from './schedule.js';
import { registerSchema } from './schema.js';

/** Every subcommand; a new one is a file beside this and one line here. */
export const COMMANDS: readonly ((program: Command) => void)[] = [registerRun, registerSchema, registerSchedule, registerModels, registerMappings, registerBenchOsc, registerBench, registerBenchIo, registerDoctor, registerCommand];
