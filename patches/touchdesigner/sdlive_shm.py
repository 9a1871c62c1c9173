"""sdlive shared-memory frame ring, for TouchDesigner's Python (3.9+) or any Python with numpy.

The byte layout is docs/shm-layout.md in the sdlive repository; this file mirrors src/io/shm/layout.ts.
Frames are numpy arrays of shape (height, width, 4), dtype uint8, RGBA, TOP ROW FIRST (TouchDesigner's
numpyArray()/copyNumpyArray() are bottom row first: flip with arr[::-1]).

    reader = RingReader('sdlive-out')
    got = reader.read()            # None, or (pixels, timestamp_ms_since_epoch)

    writer = RingWriter('sdlive-in')
    writer.write(pixels)           # pixels: (h, w, 4) uint8, top row first
    writer.close()

Also RawReader/RawWriter for headerless RGB buffers (sdlive's shm:NAME?raw=1, StreamDiffusionTD's layout).
"""
import time
from multiprocessing import shared_memory

import numpy as np

MAGIC = 0x564C4453  # bytes "SDLV"
VERSION = 1
FORMAT_RGBA8 = 1
HEADER_BYTES = 64
SLOT_HEADER_BYTES = 64
STATE_LIVE = 0
STATE_CLOSED = 1

# Header fields (uint32 index = byte offset / 4).
H_MAGIC, H_VERSION, H_HEADER_BYTES, H_SLOT_COUNT, H_SLOT_CAPACITY, H_SLOT_STRIDE = 0, 1, 2, 3, 4, 5
H_WIDTH, H_HEIGHT, H_FORMAT, H_FRAME_COUNTER, H_STATE, H_WRITER_PID = 6, 7, 8, 9, 10, 11
# Slot header fields (uint32 index from the slot start); the timestamp is a float64 at byte 16.
S_SEQ, S_FRAME, S_WIDTH, S_HEIGHT, S_BYTES = 0, 1, 2, 3, 6
S_TIMESTAMP_BYTE = 16


def _attach(name):
    """Opens an existing region without letting Python's resource tracker delete it at exit."""
    try:
        return shared_memory.SharedMemory(name=name, track=False)  # Python 3.13+
    except TypeError:
        shm = shared_memory.SharedMemory(name=name)
        try:
            from multiprocessing import resource_tracker
            resource_tracker.unregister(shm._name, 'shared_memory')  # noqa: SLF001 (no public API before 3.13)
        except Exception:
            pass
        return shm


def _geometry(slot_count, capacity):
    stride = SLOT_HEADER_BYTES + (capacity + 63) // 64 * 64
    return stride, HEADER_BYTES + slot_count * stride


class RingReader:
    """Reads the newest complete frame; reattaches by itself when the writer restarts or resizes the ring."""

    def __init__(self, name):
        self.name = name
        self.shm = None
        self.last = 0
        self.retries = 0

    def _open(self):
        shm = _attach(self.name)
        head = np.frombuffer(shm.buf, dtype='<u4', count=16)
        ok = head[H_MAGIC] == MAGIC and head[H_VERSION] == VERSION and head[H_FORMAT] == FORMAT_RGBA8 and head[H_STATE] == STATE_LIVE
        self.slots, self.capacity = int(head[H_SLOT_COUNT]), int(head[H_SLOT_CAPACITY])
        self.stride, total = _geometry(self.slots, self.capacity)
        if not ok or shm.size < total:
            del head
            shm.close()
            raise ValueError('shared memory %r is not a live sdlive frame ring' % self.name)
        self.shm, self.head = shm, head
        self.last = 0

    def close(self):
        if self.shm is not None:
            self.head = None  # numpy views must go before the mapping can close
            self.shm.close()
            self.shm = None

    __del__ = close

    def read(self):
        """(pixels, timestamp_ms) for a frame not returned before, else None. Never blocks."""
        if self.shm is None:
            try:
                self._open()
            except (FileNotFoundError, ValueError):
                return None
        head, buf = self.head, self.shm.buf
        for _ in range(8):
            if head[H_STATE] != STATE_LIVE:
                self.close()
                return None
            n = int(head[H_FRAME_COUNTER])
            if n == self.last:
                return None
            base = HEADER_BYTES + (n % self.slots) * self.stride
            slot = np.frombuffer(buf, dtype='<u4', count=8, offset=base)
            seq = int(slot[S_SEQ])
            w, h, nbytes = int(slot[S_WIDTH]), int(slot[S_HEIGHT]), int(slot[S_BYTES])
            if seq & 1 == 0 and int(slot[S_FRAME]) == n and nbytes == w * h * 4 and nbytes <= self.capacity:
                pixels = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=base + 64).copy()
                ts = float(np.frombuffer(buf, dtype='<f8', count=1, offset=base + S_TIMESTAMP_BYTE)[0])
                if int(slot[S_SEQ]) == seq:
                    self.last = n
                    return pixels.reshape(h, w, 4), ts
            self.retries += 1
        return None


class RingWriter:
    """Publishes frames into a ring that sdlive (shm:NAME) or RingReader reads."""

    def __init__(self, name, width, height, slots=3):
        self.name = name
        self.slots = slots
        self.shm = None
        self._create(width * height * 4)

    def _create(self, capacity):
        self.close()
        self.stride, total = _geometry(self.slots, capacity)
        try:
            old = _attach(self.name)
            head = np.frombuffer(old.buf, dtype='<u4', count=16)
            if head[H_MAGIC] == MAGIC:
                head[H_STATE] = STATE_CLOSED
            del head
            old.close()
            old.unlink()
        except FileNotFoundError:
            pass
        try:
            self.shm = shared_memory.SharedMemory(name=self.name, create=True, size=total)
        except FileExistsError:
            # Windows: a reader still holds the old ring (marked closed above) and lets go at its next read;
            # write() retries, so the new ring is always a fresh region of the right size.
            self.shm, self.capacity = None, 0
            return
        self.capacity = capacity
        head = np.frombuffer(self.shm.buf, dtype='<u4', count=16)
        head[:] = 0
        head[H_VERSION], head[H_HEADER_BYTES], head[H_SLOT_COUNT] = VERSION, HEADER_BYTES, self.slots
        head[H_SLOT_CAPACITY], head[H_SLOT_STRIDE], head[H_FORMAT] = capacity, self.stride, FORMAT_RGBA8
        head[H_WRITER_PID] = __import__('os').getpid()
        head[H_MAGIC] = MAGIC
        self.head = head

    def write(self, pixels, timestamp_ms=None):
        """pixels: (h, w, 4) uint8 RGBA, top row first. False when the frame was dropped (ring being recreated)."""
        h, w = pixels.shape[0], pixels.shape[1]
        nbytes = w * h * 4
        if self.shm is None or nbytes > self.capacity:
            self._create(nbytes)
            if self.shm is None:
                return False
        head, buf = self.head, self.shm.buf
        n = (int(head[H_FRAME_COUNTER]) + 1) & 0xFFFFFFFF
        base = HEADER_BYTES + (n % self.slots) * self.stride
        slot = np.frombuffer(buf, dtype='<u4', count=8, offset=base)
        seq = int(slot[S_SEQ]) | 1
        slot[S_SEQ] = seq
        slot[S_FRAME], slot[S_WIDTH], slot[S_HEIGHT], slot[S_BYTES] = n, w, h, nbytes
        np.frombuffer(buf, dtype='<f8', count=1, offset=base + S_TIMESTAMP_BYTE)[0] = time.time() * 1000 if timestamp_ms is None else timestamp_ms
        np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=base + 64)[:] = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(-1)
        slot[S_SEQ] = (seq + 1) & 0xFFFFFFFF
        head[H_WIDTH], head[H_HEIGHT] = w, h
        head[H_FRAME_COUNTER] = n
        return True

    def close(self):
        if self.shm is not None:
            self.head[H_STATE] = STATE_CLOSED
            self.head = None
            self.shm.close()
            self.shm.unlink()
            self.shm = None

    __del__ = close


class RawReader:
    """Headerless packed RGB8 of a known size (shm:NAME?raw=1&width=W&height=H)."""

    def __init__(self, name, width, height):
        self.name, self.width, self.height = name, width, height
        self.shm = None

    def read(self):
        if self.shm is None:
            try:
                self.shm = _attach(self.name)
            except FileNotFoundError:
                return None
        out = np.full((self.height, self.width, 4), 255, dtype=np.uint8)
        # No view of the mapping may outlive this call, or the mapping cannot be closed.
        out[:, :, :3] = np.frombuffer(self.shm.buf, dtype=np.uint8, count=self.width * self.height * 3).reshape(self.height, self.width, 3)
        return out


class RawWriter:
    """Writes packed RGB8 frames of a fixed size into a named region."""

    def __init__(self, name, width, height):
        self.width, self.height = width, height
        try:
            self.shm = _attach(name)
        except FileNotFoundError:
            self.shm = shared_memory.SharedMemory(name=name, create=True, size=width * height * 3)

    def write(self, pixels):
        np.frombuffer(self.shm.buf, dtype=np.uint8, count=self.width * self.height * 3)[:] = np.ascontiguousarray(pixels[:, :, :3]).reshape(-1)

    def close(self):
        self.shm.close()


def to_uint8_top_first(td_array):
    """TouchDesigner numpyArray() (float32 0..1, bottom row first) -> uint8 RGBA, top row first."""
    return (np.clip(td_array[::-1], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def to_td(pixels):
    """uint8 RGBA, top row first -> what scriptOp.copyNumpyArray() expects (bottom row first)."""
    return np.ascontiguousarray(pixels[::-1])
