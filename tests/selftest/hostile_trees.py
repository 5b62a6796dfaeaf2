"""Hostile submission trees and zips, as students' machines really produce them.

Each builder makes one top-level entry of a class folder and says whether the batch
must count it as a submission (a folder, a ``.zip`` or an ``.ipynb``) or ignore it.
``HOSTILE_CASES`` is one of each case, by name; ``hostile_entries`` is the Hypothesis
strategy that mixes them. Names are bytes: a file name on Linux is any bytes but ``/``
and NUL, and a Latin-1 laptop or an old zip tool writes exactly such names.
"""

from __future__ import annotations

import io
import os
import socket
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st
from tiny_course import PERFECT

LATIN1_SOURCE = "# Résumé: mon travail\ndef add(a, b):\n    return a + b\n".encode("latin-1")
CODING_LINE = b"# -*- coding: latin-1 -*-\n"
SPECIAL_NAMES = [
    b"notes_\xff\xfe_r\xe9sum\xe9.txt",  # Latin-1 bytes: not UTF-8
    b"r\xe9sum\xe9",
    b"-rf",
    b"--help",
    b"line\nbreak",
    b"tab\there",
    b"bell\x07\x1b[31mred",
    b"...",
    b"..\xc0\xaf..",
    b'=HYPERLINK("x")',
    b"<script>alert(1)<\\script>",
    b"a|b`c*d_e#f",
    b"\xe2\x80\xaeevil",  # right-to-left override
    b"x" * 250,
    b"CON",
    b" space ",
]


@dataclass(frozen=True)
class Entry:
    """A top-level entry to create: ``build(folder, name)`` makes it."""

    kind: str
    suffix: bytes
    is_submission: bool
    build: Callable[[bytes], None] | None = None


def _write(path: bytes, data: bytes) -> None:
    with open(path, "wb") as stream:
        stream.write(data)


def _join(*parts: bytes) -> bytes:
    return b"/".join(parts)


# -- what a folder submission may hold ------------------------------------------------------
def _child(kind: str, folder: bytes, name: bytes) -> None:
    """One hostile thing named ``name`` inside ``folder``."""
    path = _join(folder, name)
    if kind == "bytes_file":
        _write(path, b"\x00\xff garbage \xfe")
    elif kind == "py_latin1":
        _write(_join(folder, b"adder.py"), LATIN1_SOURCE)
    elif kind == "py_latin1_coding":
        _write(_join(folder, b"adder.py"), CODING_LINE + LATIN1_SOURCE)
    elif kind == "py_bom":
        _write(_join(folder, b"adder.py"), b"\xef\xbb\xbf" + PERFECT.encode())
    elif kind == "py_nul":
        _write(_join(folder, b"adder.py"), PERFECT.encode() + b"\x00\n")
    elif kind == "py_bad_name":
        _write(path + b".py", PERFECT.encode())
    elif kind == "empty_dir":
        os.mkdir(path)
    elif kind == "deep":
        current = path
        for _ in range(120):  # deeper than PATH_MAX allows once copied elsewhere
            os.mkdir(current)
            current = _join(current, b"d" * 30)
        _write(_join(current[: current.rindex(b"/")], b"deep.py"), b"x = 1\n")
    elif kind == "many_files":
        os.mkdir(path)
        for index in range(700):
            _write(_join(path, b"f%d.txt" % index), b"x")
    elif kind == "fifo":
        os.mkfifo(path + b".py")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(path + b".txt")
        except OSError:  # a path too long for a socket address
            pass
        finally:
            server.close()
    elif kind == "symlink_loop":
        os.symlink(name, path)
    elif kind == "symlink_out":
        os.symlink(b"/etc/passwd", path + b".txt")
    elif kind == "symlink_dir_loop":
        os.mkdir(path)
        os.symlink(b"..", _join(path, b"up"))
    elif kind == "hard_link":
        _write(path + b".py", PERFECT.encode())
        os.link(path + b".py", _join(folder, b"adder.py"))
    elif kind == "unreadable":
        _write(path + b".py", b"x = 1\n")
        os.chmod(path + b".py", 0)
    elif kind == "unreadable_dir":
        os.mkdir(path)
        _write(_join(path, b"x.py"), b"x = 1\n")
        os.chmod(path, 0)
    elif kind == "sparse_huge":
        with open(path + b".npy", "wb") as stream:
            stream.truncate(20 * 2**30)
    elif kind == "device":
        try:
            os.mknod(path + b".py", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null
        except PermissionError:
            _write(path + b".py", b"")
    else:
        raise ValueError(kind)


CHILD_KINDS = [
    "bytes_file",
    "py_latin1",
    "py_latin1_coding",
    "py_bom",
    "py_nul",
    "py_bad_name",
    "empty_dir",
    "deep",
    "many_files",
    "fifo",
    "socket",
    "symlink_loop",
    "symlink_out",
    "symlink_dir_loop",
    "hard_link",
    "unreadable",
    "unreadable_dir",
    "sparse_huge",
    "device",
]


def folder_entry(children: list[tuple[str, bytes]], with_module: bool) -> Entry:
    def build(path: bytes) -> None:
        os.mkdir(path)
        if with_module:
            _write(_join(path, b"adder.py"), PERFECT.encode())
        for kind, name in children:
            try:
                _child(kind, path, name)
            except FileExistsError:  # two children drew the same name
                pass

    return Entry("folder", b"", True, build)


# -- zips ---------------------------------------------------------------------------------------
def raw_zip(members: list[tuple[bytes, bytes]], utf8_flag: bool) -> bytes:
    """A zip whose member names are the given raw bytes (with or without the UTF-8 flag)."""
    # Placeholders of the names' lengths, none a prefix of another, then patched in place.
    placeholders = [b"Q%03d" % i + b"Z" * (len(name) - 4) for i, (name, _) in enumerate(members)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for placeholder, (_, data) in zip(placeholders, members, strict=True):
            archive.writestr(placeholder.decode(), data)
    blob = bytearray(buffer.getvalue())
    for placeholder, (name, _) in zip(placeholders, members, strict=True):
        name = name.ljust(4, b"_")
        start = 0
        while (found := blob.find(placeholder, start)) != -1:
            blob[found : found + len(placeholder)] = name
            header = blob[found - 30 : found - 26]
            if utf8_flag and header == b"PK\x03\x04":  # local header: flags at +6, +7
                blob[found - 30 + 7] |= 0x08
            elif utf8_flag and blob[found - 46 : found - 42] == b"PK\x01\x02":  # central: +8
                blob[found - 46 + 9] |= 0x08
            start = found + len(placeholder)
    return bytes(blob)


def zip_entry(members: list[tuple[bytes, bytes]], utf8_flag: bool, with_module: bool) -> Entry:
    def build(path: bytes) -> None:
        extra = [(b"work/adder.py", PERFECT.encode())] if with_module else []
        _write(path, raw_zip(extra + members, utf8_flag))

    return Entry("zip", b".zip", True, build)


# -- top-level oddities ---------------------------------------------------------------------------
def top_level_entry(kind: str) -> Entry:
    if kind == "fifo_zip":  # opening it would block forever
        return Entry(kind, b".zip", True, lambda path: os.mkfifo(path))
    if kind == "fifo_notebook":
        return Entry(kind, b".ipynb", True, lambda path: os.mkfifo(path))
    if kind == "dangling_zip":
        return Entry(kind, b".zip", True, lambda path: os.symlink(b"/nonexistent", path))
    if kind == "dir_named_zip":
        return Entry(kind, b".zip", True, lambda path: os.mkdir(path))
    if kind == "empty_folder":
        return Entry(kind, b"", True, lambda path: os.mkdir(path))
    if kind == "bad_notebook":
        return Entry(kind, b".ipynb", True, lambda path: _write(path, b'{"cells": [\xff'))
    if kind == "surrogate_notebook":
        text = b'{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], '
        text += b'"execution_count": null, "source": "# exercise: adder\\nx = \\"\\ud800\\""}],'
        text += b' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
        return Entry(kind, b".ipynb", True, lambda path: _write(path, text))
    if kind == "stray_file":
        return Entry(kind, b".txt", False, lambda path: _write(path, b"hello"))
    if kind == "stray_socket":

        def build(path: bytes) -> None:
            server = socket.socket(socket.AF_UNIX)
            try:
                server.bind(path)
            except OSError:
                _write(path, b"")
            finally:
                server.close()

        return Entry(kind, b".sock", False, build)
    if kind == "top_symlink_loop":
        return Entry(kind, b".lnk", False, lambda path: os.symlink(os.path.basename(path), path))
    raise ValueError(kind)


TOP_LEVEL_KINDS = [
    "fifo_zip",
    "fifo_notebook",
    "dangling_zip",
    "dir_named_zip",
    "empty_folder",
    "bad_notebook",
    "surrogate_notebook",
    "stray_file",
    "stray_socket",
    "top_symlink_loop",
]


# -- Hypothesis ---------------------------------------------------------------------------------
names = st.one_of(
    st.sampled_from(SPECIAL_NAMES),
    st.binary(min_size=1, max_size=24).filter(
        lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b"..")
    ),
)
zip_member_names = st.one_of(
    names,
    st.sampled_from(
        [b"../escape.py", b"/abs.py", b"C:\\win.py", b"a/../../b.py", b"dir/", b"adder.py/x"]
    ),
)
folder_entries = st.builds(
    folder_entry,
    st.lists(st.tuples(st.sampled_from(CHILD_KINDS), names), min_size=1, max_size=3),
    st.booleans(),
)
zip_entries = st.builds(
    zip_entry,
    st.lists(st.tuples(zip_member_names, st.binary(max_size=64)), min_size=0, max_size=3),
    st.booleans(),
    st.booleans(),
)
hostile_entries = st.one_of(
    folder_entries, zip_entries, st.sampled_from(TOP_LEVEL_KINDS).map(top_level_entry)
)


def build_class(folder: Path, entries: list[tuple[bytes, Entry]]) -> list[bytes]:
    """Create ``entries`` in ``folder``; the names (bytes) of those that are submissions."""
    submissions = []
    for stem, entry in entries:
        name = stem + entry.suffix
        path = os.path.join(os.fsencode(folder), name)
        if os.path.lexists(path) or name.startswith(b".") or name.startswith(b"__MACOSX"):
            continue
        try:
            entry.build(path)
        except OSError as exc:
            if exc.errno == 36:  # ENAMETOOLONG: the name plus a suffix is over 255 bytes
                continue
            raise
        if entry.is_submission:
            submissions.append(name)
    return submissions


def make_everything_readable(folder: Path) -> None:
    """Undo ``chmod 0`` so that the temporary folder can be removed."""
    for root, dirs, _ in os.walk(os.fsencode(folder)):
        for name in dirs:
            try:
                os.chmod(os.path.join(root, name), 0o755)
            except OSError:
                pass
