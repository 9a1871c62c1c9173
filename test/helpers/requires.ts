import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

/**
 * The `skip` option of tests that need a tool this machine may lack: false when it is there, else the reason.
 * Under CI=true a skip is a failure (.ci/run installs every tool): the tests stay skipped, and a test named after
 * the missing tool fails with the reason, so a green CI run has run them all.
 */
export function requires(tool: string, available: boolean, install: string): string | false {
  if (available) return false;
  const reason = `${tool} is not available (${install})`;
  if (process.env.CI === 'true') {
    test(`CI has ${tool}`, () => {
      throw new Error(`${reason}; under CI=true a skipped test is a failure`);
    });
  }
  return reason;
}

const runs = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

export const CHROMIUM = '/usr/bin/chromium';

export const hasFfmpeg = () => runs('ffmpeg', ['-version']);
export const requiresFfmpeg = () => requires('ffmpeg', hasFfmpeg(), 'apt-get install ffmpeg');
export const requiresChromium = () => requires(`Chromium at ${CHROMIUM}`, existsSync(CHROMIUM), 'apt-get install chromium');
export const requiresPythonNumpy = () => requires('python3 with numpy', runs('python3', ['-c', 'import numpy, multiprocessing.shared_memory']), 'apt-get install python3 python3-numpy');

/**
 * A Linux machine without the ALSA sequencer device: RtMidi cannot initialise there. MIDI tests assert what holds
 * either way and use this only to say which outcome this machine must show.
 */
export const ALSA_SEQUENCER = '/dev/snd/seq';
export const noAlsaSequencer = process.platform === 'linux' && !existsSync(ALSA_SEQUENCER);

/**
 * An environment with no Vulkan driver, whatever this machine has (CI installs lavapipe): the Vulkan loader, the
 * provider probe child and the adapter check all read VK_ICD_FILENAMES, so webgpu fails to start under it.
 */
export const NO_VULKAN_DRIVER = { VK_ICD_FILENAMES: '/nonexistent/sdlive-test-no-vulkan-driver.json' } as const;
