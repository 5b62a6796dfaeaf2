"""The wire protocol between the trusted grader and the untrusted worker.

Everything that crosses is plain data, encoded with msgpack (never pickle):
None, bool, int, float, str, bytes, lists, tuples, dicts and NumPy arrays of a
numeric or bool dtype. A few extension types name things that stay on one side:

- ``Handle``: an object kept in the worker (a Keras model, a dataset), named by id;
- ``Callback``: a function of the trusted side that the worker may call back;
- ``Ref``: a function of the student's module, named for a worker-side helper.

Messages are length-prefixed frames on a pipe. Both directions use dicts with a
``kind`` key; their shapes are listed in ``grader.sandbox.client`` and
``grader.worker.harness``, the only two users of this module.
"""

from __future__ import annotations

import os
import select
import struct
import time
from dataclasses import dataclass

import msgpack
import numpy as np

MAX_MESSAGE_BYTES = 512 * 1024 * 1024
"""The largest frame either side accepts; a larger one is a protocol error."""

_EXT_ARRAY, _EXT_TUPLE, _EXT_HANDLE, _EXT_REMOTE, _EXT_REF = 1, 2, 3, 4, 5
_ALLOWED_KINDS = set("biufc")  # bool, signed, unsigned, float, complex


class ProtocolError(Exception):
    """A frame or a value that breaks the protocol's rules."""


class EncodeError(ProtocolError):
    """A value that is not plain data and so cannot cross."""


@dataclass(frozen=True)
class Handle:
    """An object that stays in the worker; ``generation`` names the worker that holds it."""

    id: int
    type_name: str
    generation: int = 0


@dataclass(frozen=True)
class Callback:
    """A trusted-side function the worker may call while a call is running."""

    id: int


@dataclass(frozen=True)
class Ref:
    """A function of the student's module, passed by name to a worker-side helper."""

    module: str
    attr: str


class _Encoder:
    """msgpack with extension types; array data goes out of band, as raw buffers."""

    def __init__(self):
        self.buffers: list[memoryview] = []

    def default(self, value):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _ALLOWED_KINDS or value.dtype.hasobject:
                raise EncodeError(f"a NumPy array of dtype {value.dtype} cannot be sent")
            array = value if value.flags.c_contiguous else value.copy(order="C")
            self.buffers.append(memoryview(array.reshape(-1).view(np.uint8)))
            meta = [array.dtype.str, list(array.shape), len(self.buffers) - 1]
            return msgpack.ExtType(_EXT_ARRAY, self.pack(meta))
        if isinstance(value, np.generic) and value.dtype.kind in _ALLOWED_KINDS:
            return value.item()
        if isinstance(value, tuple):
            return msgpack.ExtType(_EXT_TUPLE, self.pack(list(value)))
        if isinstance(value, dict):
            return dict(value)
        if isinstance(value, list):
            return list(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, Handle):
            return msgpack.ExtType(
                _EXT_HANDLE, self.pack([value.id, value.type_name, value.generation])
            )
        if isinstance(value, Callback):
            return msgpack.ExtType(_EXT_REMOTE, self.pack(value.id))
        if isinstance(value, Ref):
            return msgpack.ExtType(_EXT_REF, self.pack([value.module, value.attr]))
        raise EncodeError(f"an object of type {type(value).__name__} cannot be sent")

    def pack(self, value) -> bytes:
        # strict_types keeps tuples and subclasses of builtins out of msgpack's own
        # handling, so they go through default(): tuples come back tuples, and an int
        # subclass with a lying __eq__ is refused.
        try:
            return msgpack.packb(value, default=self.default, use_bin_type=True, strict_types=True)
        except EncodeError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:
            raise EncodeError(str(exc)) from exc


class _Decoder:
    def __init__(self, buffers: list):
        self.buffers = buffers
        self.used: set[int] = set()

    def ext_hook(self, code: int, data: bytes):
        if code == _EXT_ARRAY:
            dtype_str, shape, index = self.unpack(data)
            dtype = np.dtype(dtype_str)
            if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject:
                raise ProtocolError(f"array of dtype {dtype} refused")
            if not all(isinstance(n, int) and n >= 0 for n in shape):
                raise ProtocolError("array with a bad shape refused")
            if (
                not isinstance(index, int)
                or not 0 <= index < len(self.buffers)
                or index in self.used
            ):
                raise ProtocolError("array with a bad buffer refused")
            self.used.add(index)
            raw = self.buffers[index]
            if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(raw):
                raise ProtocolError("array whose size does not match its shape refused")
            return np.frombuffer(raw, dtype=dtype).reshape(tuple(shape))
        if code == _EXT_TUPLE:
            return tuple(self.unpack(data))
        if code == _EXT_HANDLE:
            handle_id, type_name, generation = self.unpack(data)
            return Handle(int(handle_id), str(type_name), int(generation))
        if code == _EXT_REMOTE:
            return Callback(int(self.unpack(data)))
        if code == _EXT_REF:
            module, attr = self.unpack(data)
            return Ref(str(module), str(attr))
        raise ProtocolError(f"unknown extension type {code}")

    def unpack(self, data: bytes):
        return msgpack.unpackb(data, ext_hook=self.ext_hook, raw=False, strict_map_key=False)


# A frame: preamble (body size, head size, buffer count), the buffer sizes, the msgpack
# head, then each array's raw bytes. Arrays are written and read in place (no copies).
_PREAMBLE = struct.Struct("!QII")
_SIZE = struct.Struct("!Q")
MAX_BUFFERS = 100_000


def _frame_parts(value) -> list:
    encoder = _Encoder()
    head = encoder.pack(value)
    sizes = b"".join(_SIZE.pack(b.nbytes) for b in encoder.buffers)
    body = len(sizes) + len(head) + sum(b.nbytes for b in encoder.buffers)
    if body > MAX_MESSAGE_BYTES:
        raise EncodeError(f"message of {body} bytes exceeds {MAX_MESSAGE_BYTES}")
    preamble = _PREAMBLE.pack(body, len(head), len(encoder.buffers))
    return [preamble + sizes + head, *encoder.buffers]


def encode(value) -> bytes:
    """Plain data to one frame of bytes; raises ``EncodeError`` for anything else."""
    return b"".join(bytes(part) for part in _frame_parts(value))


def decode(frame: bytes):
    """One frame of bytes to plain data; raises ``ProtocolError`` for anything malformed."""
    view = memoryview(frame)
    offset = 0

    def take(size: int) -> bytearray:
        nonlocal offset
        if offset + size > len(view):
            raise ProtocolError("truncated frame")
        offset += size
        return bytearray(view[offset - size : offset])

    return _read_frame(take)


def _read_frame(take):
    body, head_size, count = _PREAMBLE.unpack(take(_PREAMBLE.size))
    if body > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"frame of {body} bytes exceeds {MAX_MESSAGE_BYTES}")
    if count > MAX_BUFFERS:
        raise ProtocolError(f"frame with {count} arrays refused")
    sizes = [_SIZE.unpack(take(_SIZE.size))[0] for _ in range(count)]
    if _SIZE.size * count + head_size + sum(sizes) != body:
        raise ProtocolError("frame sizes do not add up")
    head = take(head_size)
    buffers = [take(size) for size in sizes]
    try:
        return _Decoder(buffers).unpack(bytes(head))
    except ProtocolError:
        raise
    except Exception as exc:  # msgpack raises many types for malformed input
        raise ProtocolError(f"malformed message: {exc}") from exc


def write_message(fd: int, message) -> None:
    """Send one frame; blocks until the whole frame is written."""
    parts = [memoryview(p) for p in _frame_parts(message)]
    while parts:
        written = os.writev(fd, parts[:64])
        while parts and written >= parts[0].nbytes:
            written -= parts[0].nbytes
            parts.pop(0)
        if written:
            parts[0] = parts[0][written:]


class ChannelClosed(ProtocolError):
    """The other side closed its end of the pipe."""


class DeadlineExceeded(Exception):
    """No complete frame arrived before the deadline."""


def _read_into(fd: int, buffer: bytearray, deadline: float | None, on_wait) -> None:
    view = memoryview(buffer)
    got = 0
    while got < len(buffer):
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded()
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.1))
            if not ready:
                if on_wait is not None:
                    on_wait()
                continue
        count = os.readv(fd, [view[got:]])
        if not count:
            raise ChannelClosed("the other side closed the channel")
        got += count


def read_message(fd: int, deadline: float | None = None, on_wait=None):
    """Receive one frame, waiting until ``deadline`` (a ``time.monotonic`` value).

    ``on_wait`` is called about every 0.1 s while nothing arrives: the trusted side
    uses it to watch the worker's memory.
    """

    def take(size: int) -> bytearray:
        buffer = bytearray(size)
        _read_into(fd, buffer, deadline, on_wait)
        return buffer

    return _read_frame(take)
