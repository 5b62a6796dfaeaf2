"""Wrong fixtures as patches: the reference plus one bug, made into a module at test time.

``tests/exercises/<exercise>/wrong/<bug>.patch`` is a unified diff against
``solutions/<exercise>.py`` under a short header that says what the bug is and which
hidden tests must reject it::

    why: ids start at 0, so padding reads as 'B'
    tests: test_string_to_ids test_dataset_ids_padding_and_labels
    message: must return a tuple (X, y)        (optional: text the failure must show)
    slow: a second fixture for a test that trains  (optional: runs only with -m slow)
    --- solutions/reber.py
    +++ reber.py
    @@ -72,3 +72,3 @@
    ...

A patch applies exactly (no fuzz, no offset): when the reference changes under it, the
self-test says so and the fixture is made again from today's reference, so it can never
drift into "an older reference with a bug". To make one: copy the reference, put the bug
in, and run ``python tests/selftest/fixture_patches.py make EXERCISE BUG EDITED.py --why
... --tests ...``; ``... materialise PATCH DEST`` writes its module, to grade by hand.
"""

from __future__ import annotations

import argparse
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(Exception):
    """A fixture patch that does not parse, or no longer applies to the reference."""


@dataclass(frozen=True)
class WrongFixture:
    exercise: str
    bug: str
    why: str
    tests: list[str]
    message: str | None
    slow: str | None  # why it runs only with ``-m slow`` (another fixture proves its tests)
    diff: str
    path: Path


def wrong_fixtures(root: Path = ROOT) -> list[WrongFixture]:
    """Every wrong fixture of the course at ``root``."""
    return [read_fixture(p) for p in sorted((root / "tests" / "exercises").glob("*/wrong/*.patch"))]


def read_fixture(path: Path) -> WrongFixture:
    header, marker, diff = path.read_text().partition("\n--- ")
    if not marker:
        raise PatchError(f"{path}: no diff (a line starting '--- ')")
    fields = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    if not fields.get("why") or not fields.get("tests"):
        raise PatchError(f"{path}: the header needs 'why:' and 'tests:' lines")
    return WrongFixture(
        exercise=path.parent.parent.name,
        bug=path.stem,
        why=fields["why"],
        tests=fields["tests"].split(),
        message=fields.get("message") or None,
        slow=fields.get("slow") or None,
        diff="--- " + diff,
        path=path,
    )


def apply_patch(original: str, diff: str, where: str = "the reference") -> str:
    """``original`` with the unified ``diff`` applied exactly."""
    source = original.splitlines(keepends=True)
    out: list[str] = []
    position = 0  # lines of ``source`` consumed
    lines = diff.splitlines(keepends=True)
    index = 0
    while index < len(lines) and not lines[index].startswith("@@"):
        index += 1
    if index == len(lines):
        raise PatchError("the patch has no hunk")
    while index < len(lines):
        match = HUNK.match(lines[index])
        if not match:
            raise PatchError(f"not a hunk header: {lines[index]!r}")
        start = int(match.group(1)) - (0 if match.group(2) == "0" else 1)
        if start < position:
            raise PatchError("hunks overlap or are out of order")
        out += source[position:start]
        position = start
        index += 1
        while index < len(lines) and not lines[index].startswith("@@"):
            line = lines[index]
            kind, text = line[:1], line[1:]
            if kind in (" ", "-"):
                if position >= len(source) or source[position].rstrip("\n") != text.rstrip("\n"):
                    raise PatchError(
                        f"no longer applies to {where} at line {position + 1}: expected "
                        f"{text.rstrip()!r}, found "
                        f"{source[position].rstrip() if position < len(source) else 'the end'!r}"
                        " (the reference changed there: make the fixture again from it)"
                    )
                if kind == " ":
                    out.append(source[position])
                position += 1
            elif kind == "+":
                out.append(text if text.endswith("\n") else text + "\n")
            elif line.startswith("\\"):
                pass  # "\ No newline at end of file"
            else:
                raise PatchError(f"not a diff line: {line!r}")
            index += 1
    return "".join(out + source[position:])


def materialise(fixture: WrongFixture, dest: Path, root: Path = ROOT) -> Path:
    """Write the fixture's module into the folder ``dest``; returns ``dest``."""
    reference = root / "solutions" / f"{fixture.exercise}.py"
    code = apply_patch(reference.read_text(), fixture.diff, f"solutions/{fixture.exercise}.py")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{fixture.exercise}.py").write_text(code)
    return dest


def make_patch(exercise: str, edited: str, why: str, tests: list[str], message: str = "") -> str:
    """The text of a fixture file: the header, then the diff of ``edited`` from the reference."""
    reference = (ROOT / "solutions" / f"{exercise}.py").read_text()
    diff = "".join(
        difflib.unified_diff(
            reference.splitlines(keepends=True),
            edited.splitlines(keepends=True),
            f"solutions/{exercise}.py",
            f"{exercise}.py",
            n=1,  # patches apply at their line numbers exactly: one line of context is enough
        )
    )
    if not diff:
        raise PatchError("the edited module is the reference: there is no bug")
    header = f"why: {why}\ntests: {' '.join(tests)}\n" + (
        f"message: {message}\n" if message else ""
    )
    return header + diff


def main() -> None:
    parser = argparse.ArgumentParser(description="Wrong fixtures: make one, or make its module.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    make = verbs.add_parser("make", help="a fixture from the reference with one bug put in")
    make.add_argument("exercise")
    make.add_argument("bug", help="the fixture's name, e.g. no_id_shift")
    make.add_argument("edited", type=Path, help="the reference with one bug put in")
    make.add_argument("--why", required=True, help="the bug, in a line")
    make.add_argument("--tests", required=True, nargs="+", help="hidden tests that reject it")
    make.add_argument("--message", default="", help="text the failure's message must show")
    module = verbs.add_parser("materialise", help="write a fixture's module into a folder")
    module.add_argument("patch", type=Path)
    module.add_argument("dest", type=Path, help="the folder to grade, e.g. /tmp/bug")
    args = parser.parse_args()
    if args.verb == "materialise":
        print(materialise(read_fixture(args.patch), args.dest))
        return
    text = make_patch(args.exercise, args.edited.read_text(), args.why, args.tests, args.message)
    path = ROOT / "tests" / "exercises" / args.exercise / "wrong" / f"{args.bug}.patch"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
