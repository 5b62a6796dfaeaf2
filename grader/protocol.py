"""The wire protocol between the trusted grader and the untrusted worker.

Everything that crosses is plain data, encoded with msgpack (never pickle):
None, bool, int, float, str, bytes, lists, tuples, dicts and NumPy arrays of a
numeric or bool dtype. A few extension types name things that stay on one side:

- ``Handle``: an object kept in the worker (a Keras model, a dataset), named by id;
- ``Remote``: a function of the trusted side that the worker may call back;
- ``Ref``: a function of the student's module, named for a worker-side helper.

Messages are length-prefixed frames on a pipe. Both directions use dicts with a
``kind`` key; their shapes are listed in ``grader.worker.client`` and
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

_HEADER = struct.Struct("!I")
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
class Remote:
    """A trusted-side function the worker may call while a call is running."""

    id: int


@dataclass(frozen=True)
class Ref:
    """A function of the student's module, passed by name to a worker-side helper."""

    module: str
    attr: str


def _default(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS or value.dtype.hasobject:
            raise EncodeError(f"a NumPy array of dtype {value.dtype} cannot be sent")
        array = value if value.flags.c_contiguous else value.copy(order="C")
        payload = msgpack.packb(
            [array.dtype.str, list(array.shape), array.tobytes()], use_bin_type=True
        )
        return msgpack.ExtType(_EXT_ARRAY, payload)
    if isinstance(value, np.generic) and value.dtype.kind in _ALLOWED_KINDS:
        return value.item()
    if isinstance(value, tuple):
        return msgpack.ExtType(_EXT_TUPLE, _pack(list(value)))
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Handle):
        return msgpack.ExtType(
            _EXT_HANDLE, _pack([value.id, value.type_name, value.generation])
        )
    if isinstance(value, Remote):
        return msgpack.ExtType(_EXT_REMOTE, _pack(value.id))
    if isinstance(value, Ref):
        return msgpack.ExtType(_EXT_REF, _pack([value.module, value.attr]))
    raise EncodeError(f"an object of type {type(value).__name__} cannot be sent")


def _pack(value) -> bytes:
    # strict_types keeps tuples and subclasses of builtins out of msgpack's own handling,
    # so every tuple goes through _default and comes back a tuple.
    try:
        return msgpack.packb(value, default=_default, use_bin_type=True, strict_types=True)
    except EncodeError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(str(exc)) from exc


def _ext_hook(code: int, data: bytes):
    if code == _EXT_ARRAY:
        dtype_str, shape, raw = _unpack(data)
        dtype = np.dtype(dtype_str)
        if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject:
            raise ProtocolError(f"array of dtype {dtype} refused")
        if not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ProtocolError("array with a bad shape refused")
        if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(raw):
            raise ProtocolError("array whose size does not match its shape refused")
        return np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()
    if code == _EXT_TUPLE:
        return tuple(_unpack(data))
    if code == _EXT_HANDLE:
        handle_id, type_name, generation = _unpack(data)
        return Handle(int(handle_id), str(type_name), int(generation))
    if code == _EXT_REMOTE:
        return Remote(int(_unpack(data)))
    if code == _EXT_REF:
        module, attr = _unpack(data)
        return Ref(str(module), str(attr))
    raise ProtocolError(f"unknown extension type {code}")


def _unpack(data: bytes):
    return msgpack.unpackb(
        data, ext_hook=_ext_hook, raw=False, strict_map_key=False, use_list=True
    )


def encode(value) -> bytes:
    """Plain data to bytes; raises ``EncodeError`` for anything else."""
    return _pack(value)


def decode(data: bytes):
    """Bytes to plain data; raises ``ProtocolError`` for anything malformed."""
    try:
        return _unpack(data)
    except ProtocolError:
        raise
    except Exception as exc:  # msgpack raises many types for malformed input
        raise ProtocolError(f"malformed message: {exc}") from exc


def write_message(fd: int, message) -> None:
    """Send one frame; blocks until the whole frame is written."""
    body = encode(message)
    if len(body) > MAX_MESSAGE_BYTES:
        raise EncodeError(f"message of {len(body)} bytes exceeds {MAX_MESSAGE_BYTES}")
    view = memoryview(_HEADER.pack(len(body)) + body)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class ChannelClosed(ProtocolError):
    """The other side closed its end of the pipe."""


class DeadlineExceeded(Exception):
    """No complete frame arrived before the deadline."""


def _read_exactly(fd: int, size: int, deadline: float | None, on_wait) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded()
            ready, _, _ = select.select([fd], [], [], min(remaining, 0.1))
            if not ready:
                if on_wait is not None:
                    on_wait()
                continue
        chunk = os.read(fd, min(size - len(chunks), 16 * 1024 * 1024))
        if not chunk:
            raise ChannelClosed("the other side closed the channel")
        chunks += chunk
    return bytes(chunks)


def read_message(fd: int, deadline: float | None = None, on_wait=None):
    """Receive one frame, waiting until ``deadline`` (a ``time.monotonic`` value).

    ``on_wait`` is called about every 0.1 s while nothing arrives: the trusted side
    uses it to watch the worker's memory.
    """
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline, on_wait))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"frame of {size} bytes exceeds {MAX_MESSAGE_BYTES}")
    return decode(_read_exactly(fd, size, deadline, on_wait))
