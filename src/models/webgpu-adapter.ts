import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * What webgpu runs on. onnxruntime-node reports nothing about its adapter, so on Linux the Vulkan drivers are
 * read where the Vulkan loader finds them (Dawn runs on Vulkan there): when every installed driver is a CPU
 * rasteriser (Mesa lavapipe/llvmpipe, SwiftShader), so is the adapter. Elsewhere (D3D12, Metal) it is unknown.
 */
export type AdapterKind = 'gpu' | 'cpu' | 'none' | 'unknown';

export interface WebgpuAdapter {
  kind: AdapterKind;
  /** The Vulkan drivers found (library names), for logs and `doctor`. */
  drivers: string[];
  /** GPU drivers are installed but no GPU device node exists (Mesa's package installs every driver). */
  noGpuDevice?: boolean;
}

const CPU_DRIVER = /lvp|lavapipe|llvmpipe|swiftshader/i;

/** The folders and files the Vulkan loader reads ICD manifests from (VK_DRIVER_FILES / VK_ICD_FILENAMES replace them). */
export function icdLocations(env: NodeJS.ProcessEnv): string[] {
  const override = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const added = (env.VK_ADD_DRIVER_FILES ?? '').split(':').filter(Boolean);
  if (override) return [...override.split(':').filter(Boolean), ...added];
  const home = env.HOME ?? homedir();
  const configDirs = [env.XDG_CONFIG_HOME ?? join(home, '.config'), ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'), '/etc'];
  const dataDirs = [env.XDG_DATA_HOME ?? join(home, '.local/share'), ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':')];
  return [...added, ...[...configDirs, ...dataDirs].filter(Boolean).map((d) => join(d, 'vulkan', 'icd.d'))];
}

function manifestFiles(location: string): string[] {
  if (!existsSync(location)) return [];
  if (!statSync(location).isDirectory()) return [location];
  return readdirSync(location).filter((f) => f.endsWith('.json')).sort().map((f) => join(location, f));
}

/** The driver library a manifest names, or undefined for a file that is not an ICD manifest. */
function driverLibrary(file: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: unknown } };
    const library = manifest.ICD?.library_path;
    return typeof library === 'string' ? basename(library) : undefined;
  } catch {
    return undefined;
  }
}

export function classifyDrivers(drivers: readonly string[]): AdapterKind {
  if (drivers.length === 0) return 'none';
  return drivers.every((d) => CPU_DRIVER.test(d)) ? 'cpu' : 'gpu';
}

/** A GPU the kernel exposes: a DRM render node (Mesa's drivers, virtio) or an NVIDIA device. */
export function hasGpuDevice(dev = '/dev'): boolean {
  const names = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return names(join(dev, 'dri')).some((n) => /^renderD\d+$/.test(n)) || names(dev).some((n) => /^nvidia\d+$/.test(n));
}

/**
 * Installed GPU drivers without a GPU device cannot give Dawn an adapter: only a CPU rasteriser is left, which is
 * what a machine with Mesa's whole driver package and no GPU has.
 */
export function detectWebgpuAdapter(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, gpuDevice: () => boolean = hasGpuDevice): WebgpuAdapter {
  if (platform !== 'linux') return { kind: 'unknown', drivers: [] };
  const files = [...new Set(icdLocations(env).flatMap(manifestFiles))];
  const drivers = [...new Set(files.map(driverLibrary).filter((d): d is string => d !== undefined))];
  const kind = classifyDrivers(drivers);
  if (kind === 'gpu' && drivers.some((d) => CPU_DRIVER.test(d)) && !gpuDevice()) return { kind: 'cpu', drivers, noGpuDevice: true };
  return { kind, drivers };
}

export function describeAdapter(a: WebgpuAdapter): string {
  const list = a.drivers.join(', ');
  switch (a.kind) {
    case 'cpu': return `a CPU rasteriser, not a GPU (Vulkan drivers: ${list}${a.noGpuDevice ? '; no GPU device in /dev/dri or /dev/nvidia*' : ''})`;
    case 'gpu': return `a GPU (Vulkan drivers: ${list})`;
    case 'none': return 'no Vulkan driver found';
    case 'unknown': return 'adapter type not known on this platform';
  }
}
