"""Text that comes from a student's files, made safe once for every output.

File names on Linux are any bytes but ``/`` and NUL; Python hands the undecodable ones
over as lone surrogates, which no UTF-8 file can hold. Names may also carry newlines,
terminal escapes, right-to-left overrides, spreadsheet formulas or Markdown. Every id,
message and path that the grader writes passes through here, so nothing written by the
grader can be broken or injected into by a file name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_ID_CHARS = 80
SUBMISSION_SUFFIXES = (".zip", ".ipynb")
_SAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._@+-]")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _hash8(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def printable(text: str) -> str:
    """``text`` as printable UTF-8: undecodable bytes as ``\\xNN``, control and format
    characters (newlines, escapes, bidi overrides) as ``\\xNN``/``\\uNNNN``."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable() and unicodedata.category(char) != "Cs":
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def printable_lines(text: str) -> str:
    """Like ``printable`` but keeps newlines and tabs: for multi-line messages."""
    return "\n".join(
        "\t".join(printable(part) for part in line.split("\t")) for line in text.split("\n")
    )


def clean_strings(value):
    """``value`` (JSON-like data) with every string made valid UTF-8 (lines kept)."""
    if isinstance(value, str):
        return value if _is_utf8(value) else printable_lines(value)
    if isinstance(value, dict):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_strings(v) for v in value]
    return value


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def submission_id(entry_name: str) -> str:
    """A submission's id from its file or folder name: printable, one line, bounded."""
    stem = entry_name
    for suffix in SUBMISSION_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    text = printable(stem).strip() or "_"
    if len(text) > MAX_ID_CHARS:
        text = f"{text[: MAX_ID_CHARS - 9]}~{_hash8(entry_name)}"
    return text


def unique_ids(entry_names: Iterable[str]) -> dict[str, str]:
    """Entry name → id, the ids distinct even when case is folded (``alice/`` and
    ``alice.zip``, ``Alice/`` and ``alice/``): a colliding entry is named by its full
    name, then by a hash of it."""
    names = sorted(entry_names)
    ids = {name: submission_id(name) for name in names}
    taken: set[str] = set()
    for name in names:
        candidates = [ids[name], printable(name).strip() or "_", f"{ids[name]}~{_hash8(name)}"]
        chosen = next((c for c in candidates if c.casefold() not in taken), candidates[-1])
        ids[name] = chosen
        taken.add(chosen.casefold())
    return ids


def file_stem(submission: str) -> str:
    """A file name for a submission id: ASCII, no leading dot or dash, and distinct for
    distinct ids (an id that had to change carries a hash of itself)."""
    stem = _SAFE_FILE_CHARS.sub("_", submission).lstrip(".-")[:100]
    if stem == submission and stem:
        return stem
    return f"{stem or '_'}-{_hash8(submission)}"


def spreadsheet_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_SPREADSHEET_FORMULA) else text


def markdown_text(text: str) -> str:
    """``text`` shown literally in Markdown (one line, specials escaped)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", printable(text))
