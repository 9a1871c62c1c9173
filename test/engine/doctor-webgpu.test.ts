import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sdlive-doctor-icd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `sdlive doctor --json` with only this Vulkan driver manifest visible (as the Vulkan loader would see it). */
function doctorWithDriver(library: string): Promise<{ what: string; detail: string }[]> {
  const manifest = join(dir, `${library}.json`);
  writeFileSync(manifest, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NODE_NO_WARNINGS: '1', VK_ICD_FILENAMES: manifest, VK_DRIVER_FILES: '' };
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'doctor', '--json', '--osc-port', '0', '--http-port', '0'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { what: string; detail: string }[]) : reject(new Error(`doctor exited ${code}`))));
  });
}

test('sdlive doctor says when the webgpu adapter is a CPU rasteriser (lavapipe) and that the default order skips it', { timeout: 120_000 }, async () => {
  const adapter = (await doctorWithDriver('libvulkan_lvp.so')).find((f) => f.what === 'webgpu adapter');
  assert.match(adapter?.detail ?? '', /CPU rasteriser, not a GPU \(Vulkan drivers: libvulkan_lvp\.so\): skipped in the default provider order/);
});

test('sdlive doctor names a GPU Vulkan driver as a GPU adapter', { timeout: 120_000 }, async () => {
  const adapter = (await doctorWithDriver('libGLX_nvidia.so.0')).find((f) => f.what === 'webgpu adapter');
  assert.equal(adapter?.detail, 'a GPU (Vulkan drivers: libGLX_nvidia.so.0)');
});
