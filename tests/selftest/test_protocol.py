"""The wire format carries plain data only, both ways, with caps."""

import os

import msgpack
import numpy as np
import pytest

from grader import protocol
from grader.protocol import Callback, Handle, Ref


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -(2**63),
        2**64 - 1,
        1.5,
        "é",
        b"\x00\xff",
        [],
        [1, [2, "x"]],
        (1, (2, 3)),
        {"a": 1, 2: [3]},
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.array([True, False]),
        np.zeros((0, 4), np.float64),
        np.array(3.5, np.float32),
        np.array([1 + 2j], np.complex64),
        Handle(3, "Sequential", 2),
        Callback(7),
        Ref("reber", "f"),
    ],
)
def test_round_trip(value):
    back = protocol.decode(protocol.encode(value))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value) and back.flags.writeable
    else:
        assert back == value and type(back) is type(value)


def test_numpy_scalars_become_python_numbers():
    assert protocol.decode(protocol.encode([np.int64(3), np.float32(0.5), np.bool_(True)])) == [
        3,
        0.5,
        True,
    ]


@pytest.mark.parametrize(
    "value",
    [
        object(),
        {1, 2},
        np.array(["a"]),
        np.array([object()]),
        lambda: 1,
        2**70,
        np.array([("a", 1)], dtype=[("s", "U1"), ("i", "i4")]),
    ],
)
def test_non_plain_values_are_refused(value):
    with pytest.raises(protocol.EncodeError):
        protocol.encode(value)


def test_subclasses_of_builtins_cannot_smuggle_behaviour():
    class Liar(int):
        def __eq__(self, other):
            return True

    with pytest.raises(protocol.EncodeError):
        protocol.encode(Liar(1))


def frame(head: bytes, buffers: list[bytes] = ()) -> bytes:
    sizes = b"".join(len(b).to_bytes(8, "big") for b in buffers)
    body = len(sizes) + len(head) + sum(map(len, buffers))
    preamble = (
        body.to_bytes(8, "big") + len(head).to_bytes(4, "big") + len(buffers).to_bytes(4, "big")
    )
    return preamble + sizes + head + b"".join(buffers)


@pytest.mark.parametrize(
    ("payload", "buffers"),
    [
        (msgpack.ExtType(1, msgpack.packb(["|O", [1], 0])), [b"12345678"]),  # object dtype
        (msgpack.ExtType(1, msgpack.packb(["<i4", [3], 0])), [b"1234"]),  # size does not match
        (msgpack.ExtType(1, msgpack.packb(["<i4", [-1], 0])), [b""]),  # negative shape
        (msgpack.ExtType(1, msgpack.packb(["<i4", [1], 1])), [b"1234"]),  # no such buffer
        ([msgpack.ExtType(1, msgpack.packb(["<i4", [1], 0]))] * 2, [b"1234"]),  # buffer reused
        (msgpack.ExtType(99, b""), []),  # unknown extension (e.g. someone hoping for pickle)
    ],
)
def test_malformed_values_are_rejected(payload, buffers):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(frame(msgpack.packb(payload), buffers))


def test_inconsistent_frames_are_rejected():
    good = frame(msgpack.packb(1))
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(good[:-1])
    with pytest.raises(protocol.ProtocolError):
        protocol.decode((len(good) + 5).to_bytes(8, "big") + good[8:])


def test_frames_over_the_cap_are_rejected_before_reading():
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, (protocol.MAX_MESSAGE_BYTES + 1).to_bytes(8, "big") + b"\0" * 8)
        with pytest.raises(protocol.ProtocolError, match="exceeds"):
            protocol.read_message(read_fd, deadline=None)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_frames_cross_a_pipe_and_deadlines_hold():
    read_fd, write_fd = os.pipe()
    try:
        protocol.write_message(write_fd, {"kind": "result", "value": np.ones(3)})
        message = protocol.read_message(read_fd, deadline=None)
        assert message["kind"] == "result" and message["value"].tolist() == [1, 1, 1]
        import time

        with pytest.raises(protocol.DeadlineExceeded):
            protocol.read_message(read_fd, deadline=time.monotonic() + 0.2)
    finally:
        os.close(read_fd)
        os.close(write_fd)
