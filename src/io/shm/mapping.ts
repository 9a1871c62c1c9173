import { statSync, unlinkSync } from 'node:fs';
import koffi from 'koffi';
import { SdliveError } from '../../errors.js';

/**
 * A named shared-memory region mapped into this process. Node has no mmap, so the OS calls go through koffi:
 * open()+ftruncate()+mmap() on /dev/shm/<name> (Linux), shm_open() (macOS), CreateFileMappingW/MapViewOfFile
 * (Windows, the namespace Python's multiprocessing.shared_memory and TouchDesigner's Python use). `bytes` is a
 * view of the mapping itself, not a copy; it must not be touched after close().
 */
export interface SharedMapping {
  readonly name: string;
  readonly bytes: Uint8Array;
  close(): void;
}

/** A mapping whose close() releases the OS resources once, however often it is called. */
function releasedOnce(name: string, bytes: Uint8Array, release: () => void): SharedMapping {
  let open = true;
  return {
    name,
    bytes,
    close: () => {
      if (open) release();
      open = false;
    },
  };
}

/**
 * The name is still held open by another process (a reader that has not let go yet), so no new region can be
 * made under it. Windows only: there a mapping lives while any handle is open, and CreateFileMappingW hands
 * back the old (possibly smaller) object with ERROR_ALREADY_EXISTS instead of a fresh one.
 */
export class MappingInUseError extends Error {
  constructor(readonly mappingName: string) {
    super(`shared memory "${mappingName}" is still open in another process; it is recreated once that lets go`);
  }
}

export interface MappingBackend {
  /** Creates (or resizes) the named region and maps `size` bytes of it; MappingInUseError where it cannot. */
  create(name: string, size: number): SharedMapping;
  /** Maps `size` bytes of an existing region; throws when it does not exist or is smaller. */
  open(name: string, size: number): SharedMapping;
  /** Size of an existing region, or undefined where the OS cannot tell cheaply. */
  sizeOf(name: string): number | undefined;
  /**
   * What tells this region from one recreated under the same name (inode and size on POSIX); undefined when
   * no region has the name.
   */
  identity(name: string): string | undefined;
  unlink(name: string): void;
}

const MAP_FAILED = 0xffffffffffffffffn;

function posixBackend(platform: 'linux' | 'darwin'): MappingBackend {
  const linux = platform === 'linux';
  const lib = koffi.load(linux ? 'libc.so.6' : '/usr/lib/libSystem.B.dylib');
  const O_RDWR = 2;
  const O_CREAT = linux ? 0o100 : 0x200;
  const PROT_RW = 3;
  const MAP_SHARED = 1;
  const openFn = linux ? lib.func('int open(const char *path, int flags, uint32_t mode)') : lib.func('int shm_open(const char *name, int oflag, ...)');
  const ftruncate = lib.func('int ftruncate(int fd, int64_t length)');
  const mmap = lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
  const munmap = lib.func('int munmap(void *addr, size_t length)');
  const close = lib.func('int close(int fd)');
  const shmUnlink = linux ? undefined : lib.func('int shm_unlink(const char *name)');
  const fstat = linux ? undefined : lib.func(`int ${process.arch === 'x64' ? 'fstat$INODE64' : 'fstat'}(int fd, _Out_ uint8_t *buf)`);
  const strerror = lib.func('const char *strerror(int errnum)');
  const osName = (name: string) => (linux ? `/dev/shm/${name}` : `/${name}`);
  const fail = (what: string, name: string) => new Error(`${what} ${osName(name)}: ${strerror(koffi.errno()) as string}`);

  const openFd = (name: string, flags: number): number => {
    const fd = (linux ? openFn(osName(name), flags, 0o666) : openFn(osName(name), flags, 'int', 0o666)) as number;
    if (fd < 0) throw fail('cannot open shared memory', name);
    return fd;
  };
  /** st_ino and st_size of macOS's 64-bit struct stat. */
  const darwinStat = (fd: number): { ino: bigint; size: number } => {
    const st = Buffer.alloc(256);
    if ((fstat!(fd, st) as number) !== 0) throw new Error('fstat failed');
    return { ino: st.readBigUInt64LE(8), size: Number(st.readBigInt64LE(96)) };
  };
  const darwinSize = (fd: number): number => darwinStat(fd).size;
  /** Runs `read` on the open region, or gives undefined when the name does not exist. */
  const withFd = <T>(name: string, read: (fd: number) => T): T | undefined => {
    let fd: number;
    try {
      fd = openFd(name, O_RDWR);
    } catch {
      return undefined;
    }
    try {
      return read(fd);
    } finally {
      close(fd);
    }
  };
  const map = (name: string, fd: number, size: number): SharedMapping => {
    try {
      const ptr: unknown = mmap(null, size, PROT_RW, MAP_SHARED, fd, 0);
      if (!ptr || koffi.address(ptr) === MAP_FAILED) throw fail('cannot map', name);
      return releasedOnce(name, new Uint8Array(koffi.view(ptr, size)), () => munmap(ptr, size));
    } finally {
      close(fd);
    }
  };
  return {
    create(name, size) {
      const fd = openFd(name, O_RDWR | O_CREAT);
      const current = linux ? statSync(osName(name)).size : darwinSize(fd);
      // macOS refuses to resize a POSIX shm object once sized: recreate it instead.
      if (current !== size && (ftruncate(fd, size) as number) !== 0) {
        close(fd);
        this.unlink(name);
        const fresh = openFd(name, O_RDWR | O_CREAT);
        if ((ftruncate(fresh, size) as number) !== 0) throw fail('cannot size shared memory', name);
        return map(name, fresh, size);
      }
      return map(name, fd, size);
    },
    open(name, size) {
      const fd = openFd(name, O_RDWR);
      const actual = linux ? statSync(osName(name)).size : darwinSize(fd);
      if (actual < size) {
        close(fd);
        throw new Error(`shared memory ${osName(name)} has ${actual} bytes, needs ${size}`);
      }
      return map(name, fd, size);
    },
    sizeOf(name) {
      if (linux) return statSync(osName(name), { throwIfNoEntry: false })?.size;
      return withFd(name, darwinSize);
    },
    identity(name) {
      const st = linux ? statSync(osName(name), { bigint: true, throwIfNoEntry: false }) : withFd(name, darwinStat);
      return st && `${st.ino}:${st.size}`;
    },
    unlink(name) {
      if (linux) unlinkSync(osName(name));
      else if ((shmUnlink!(osName(name)) as number) !== 0) throw fail('cannot unlink', name);
    },
  };
}

function windowsBackend(): MappingBackend {
  const k32 = koffi.load('kernel32.dll');
  const PAGE_READWRITE = 0x04;
  const FILE_MAP_ALL_ACCESS = 0xf001f;
  const INVALID_HANDLE_VALUE = -1;
  const ERROR_ALREADY_EXISTS = 183;
  const create = k32.func('void * __stdcall CreateFileMappingW(intptr_t hFile, void *attrs, uint32_t protect, uint32_t sizeHigh, uint32_t sizeLow, const char16_t *name)');
  const openMap = k32.func('void * __stdcall OpenFileMappingW(uint32_t access, bool inherit, const char16_t *name)');
  const mapView = k32.func('void * __stdcall MapViewOfFile(void *h, uint32_t access, uint32_t offHigh, uint32_t offLow, size_t bytes)');
  const unmap = k32.func('bool __stdcall UnmapViewOfFile(void *addr)');
  const closeHandle = k32.func('bool __stdcall CloseHandle(void *h)');
  const getLastError = k32.func('uint32_t __stdcall GetLastError()');
  const view = (name: string, handle: unknown, size: number): SharedMapping => {
    const ptr: unknown = mapView(handle, FILE_MAP_ALL_ACCESS, 0, 0, size);
    if (!ptr) {
      const code = getLastError() as number;
      closeHandle(handle);
      throw new Error(`cannot map shared memory "${name}" (${size} bytes): Windows error ${code}`);
    }
    return releasedOnce(name, new Uint8Array(koffi.view(ptr, size)), () => {
      unmap(ptr);
      closeHandle(handle);
    });
  };
  return {
    create(name, size) {
      const handle: unknown = create(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, Math.floor(size / 2 ** 32), size % 2 ** 32, name);
      const code = getLastError() as number;
      if (!handle) throw new Error(`cannot create shared memory "${name}": Windows error ${code}`);
      if (code === ERROR_ALREADY_EXISTS) {
        closeHandle(handle);
        throw new MappingInUseError(name);
      }
      return view(name, handle, size);
    },
    open(name, size) {
      const handle: unknown = openMap(FILE_MAP_ALL_ACCESS, false, name);
      if (!handle) throw new Error(`no shared memory named "${name}" (Windows error ${getLastError() as number})`);
      return view(name, handle, size);
    },
    sizeOf: () => undefined,
    // A named mapping lives while any handle to it is open: a writer "recreating" it while a reader holds it gets
    // the same object back (ERROR_ALREADY_EXISTS), so it never changes under the reader.
    identity: () => 'held',
    // A Windows mapping disappears with its last handle.
    unlink: () => undefined,
  };
}

let backend: MappingBackend | undefined;

/** Replaces the OS backend (tests model another OS's semantics with it); undefined restores the real one. */
export function useMappingBackend(fake: MappingBackend | undefined): void {
  backend = fake;
}

function platformBackend(): MappingBackend {
  if (backend) return backend;
  if (process.platform === 'win32') backend = windowsBackend();
  else if (process.platform === 'linux' || process.platform === 'darwin') backend = posixBackend(process.platform);
  else throw new Error(`shared memory is not supported on ${process.platform}`);
  return backend;
}

export const createMapping = (name: string, size: number): SharedMapping => platformBackend().create(name, size);
export const openMapping = (name: string, size: number): SharedMapping => platformBackend().open(name, size);
export const mappingSize = (name: string): number | undefined => platformBackend().sizeOf(name);
export const mappingIdentity = (name: string): string | undefined => platformBackend().identity(name);

export function unlinkMapping(name: string): void {
  try {
    platformBackend().unlink(name);
  } catch {
    // already gone
  }
}

/** A name is one path component: no slashes, so it cannot escape /dev/shm. */
export function checkShmName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `shared memory name "${name}": use letters, digits, ".", "_" or "-"`);
  return name;
}
