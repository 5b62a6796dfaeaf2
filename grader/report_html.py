"""The instructor's page of a batch: one self-contained HTML file (plots inlined as PNG).

It shows the score distribution overall and per exercise, the tests failed most
often, the submissions that timed out, crashed or could not be graded, a table of
every submission, the submissions most alike, and the run's provenance (grader, test
suite, versions, seed).
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from datetime import UTC, datetime
from html import escape

from grader.results import exercise_names, fmt
from grader.safe_text import file_stem
from grader.similarity import Pair

STATUS_COLORS = {
    "graded": "#4c72b0",
    "invalid_submission": "#dd8452",
    "grader_error": "#c44e52",
    "empty": "#8c8c8c",
    "missing": "#b0b0b0",
    "removed": "#937860",
}
MOST_FAILED = 15

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; }
.muted { color: #777; } .bad { color: #c44e52; } img { max-width: 100%; }
.pair { display: flex; gap: 1em; } .pair pre { flex: 1; overflow: auto; max-height: 30em;
  background: #f8f8f8; padding: .5em; font-size: 85%; }
"""


def render(results: list[dict], damaged_lines: int = 0, pairs: list[Pair] | None = None) -> str:
    """The page for ``results`` (the latest result of each submission) and the most
    alike ``pairs`` of submissions (``grader.similarity``)."""
    names = exercise_names(results)
    totals = [r["score"] for r in results]
    parts = [
        "<!doctype html>",
        "<html><head><meta charset='utf-8'>",
        "<title>Batch report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Batch report</h1>",
        f"<p class='muted'>{len(results)} submissions · mean {_mean(totals)} · median "
        f"{_median(totals)} · built {datetime.now(UTC).isoformat(timespec='seconds')}</p>",
        "<h2>Score distribution</h2>",
        _img(_overall_plot(results), "distribution of total scores"),
    ]
    if names:
        parts += [
            "<h2>Per exercise</h2>",
            _img(_exercise_plot(results, names), "distribution of scores per exercise"),
            _exercise_table(results, names),
        ]
    parts += [
        "<h2>Tests most often failed</h2>",
        _failed_table(results),
        "<h2>Timeouts, crashes and submissions not graded</h2>",
        _trouble_table(results),
        "<h2>Submissions</h2>",
        _submissions_table(results, names),
        "<h2>Most alike submissions</h2>",
        _similarity_section(pairs or []),
        "<h2>Provenance</h2>",
        _provenance_table(results, damaged_lines),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _similarity_section(pairs: list[Pair]) -> str:
    """The top pairs per exercise, each openable side by side."""
    if not pairs:
        return "<p class='muted'>No two submissions share code beyond the stub.</p>"
    parts = [
        "<p class='muted'>The share of one module's fingerprints (winnowing, as MOSS) found "
        "in the other, the stub's own code left out; names and comments do not count. A "
        "lead to read, not a verdict.</p>"
    ]
    for pair in pairs:
        title = (
            f"{escape(pair.exercise)}: <b>{escape(pair.first)}</b> and "
            f"<b>{escape(pair.second)}</b>, {pair.similarity:.0%}"
        )
        parts.append(
            f"<details><summary>{title}</summary><div class='pair'>"
            f"<pre>{escape(pair.first_code)}</pre><pre>{escape(pair.second_code)}</pre>"
            "</div></details>"
        )
    return "\n".join(parts)


# -- plots -------------------------------------------------------------------------------
def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def _img(data: str, alt: str) -> str:
    return f"<p><img alt='{escape(alt)}' src='data:image/png;base64,{data}'></p>"


def _overall_plot(results: list[dict]) -> str:
    figure = _figure(7, 3.2)
    axes = figure.add_subplot()
    top = max((r["max_score"] for r in results), default=0) or 1
    groups = {
        status: [r["score"] for r in results if r["status"] == status] for status in STATUS_COLORS
    }
    groups = {status: scores for status, scores in groups.items() if scores}
    axes.hist(
        list(groups.values()),
        bins=_bins(top),
        range=(0, top),
        stacked=True,
        color=[STATUS_COLORS[s] for s in groups],
        label=list(groups),
        edgecolor="white",
    )
    axes.set_xlabel(f"total score (out of {fmt(top)})")
    axes.set_ylabel("submissions")
    axes.set_title(f"Total scores of {len(results)} submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False)
    return _png(figure)


def _exercise_plot(results: list[dict], names: list[str]) -> str:
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = _figure(3.4 * columns, 2.6 * rows)
    for index, name in enumerate(names, start=1):
        axes = figure.add_subplot(rows, columns, index)
        scores = [r["exercises"][name]["score"] for r in results if name in r["exercises"]]
        top = (
            max(
                (r["exercises"][name]["max_score"] for r in results if name in r["exercises"]),
                default=0,
            )
            or 20
        )
        axes.hist(scores, bins=_bins(top), range=(0, top), color="#4c72b0", edgecolor="white")
        axes.set_title(f"{name} (mean {_mean(scores)} / {fmt(top)})", fontsize=10)
        axes.set_xlabel("score")
        axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _bins(top: float) -> int:
    return max(1, min(20, int(round(top))))


# -- tables ------------------------------------------------------------------------------
def _table(header: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _td(value, numeric: bool = False, raw: bool = False) -> str:
    text = value if raw else escape(str(value))
    return f"<td class='num'>{text}</td>" if numeric else f"<td>{text}</td>"


def _exercise_table(results: list[dict], names: list[str]) -> str:
    rows = []
    for name in names:
        data = [r["exercises"][name] for r in results if name in r["exercises"]]
        scores = [d["score"] for d in data]
        full = sum(d["max_score"] > 0 and d["score"] >= d["max_score"] for d in data)
        rows.append(
            [
                _td(name),
                _td(len(data), True),
                _td(_mean(scores), True),
                _td(_median(scores), True),
                _td(full, True),
            ]
        )
    return _table(["exercise", "submissions", "mean", "median", "full marks"], rows, "")


def _failed_table(results: list[dict]) -> str:
    runs: Counter = Counter()
    failures: dict[tuple, Counter] = {}
    for result in results:
        for exercise, data in result.get("exercises", {}).items():
            for test in data["tests"]:
                key = (exercise, test["name"], test["visibility"])
                runs[key] += 1
                if test["outcome"] != "passed":
                    failures.setdefault(key, Counter())[test["outcome"]] += 1
    ranked = sorted(failures, key=lambda k: (-sum(failures[k].values()), k))[:MOST_FAILED]
    rows = []
    for key in ranked:
        failed = sum(failures[key].values())
        how = ", ".join(f"{n} {outcome}" for outcome, n in failures[key].most_common())
        rows.append(
            [
                _td(key[0]),
                _td(key[1]),
                _td(key[2]),
                _td(f"{failed} / {runs[key]} ({failed / runs[key]:.0%})", True),
                _td(how),
            ]
        )
    return _table(
        ["exercise", "test", "visibility", "not passed", "how"], rows, "Every test that ran passed."
    )


def trouble(result: dict) -> list[str]:
    """Why a submission needs the instructor's eye: not graded, timeouts, crashes."""
    notes = []
    if result["status"] != "graded":
        notes.append(f"{result['status']}: {result.get('message', '')}")
    for exercise, data in result.get("exercises", {}).items():
        timeouts = [_label(t) for t in data["tests"] if t["outcome"] == "timeout"]
        crashes = [_label(t) for t in data["tests"] if t.get("crash")]
        if timeouts:
            notes.append(f"{exercise}: timed out in {', '.join(timeouts)}")
        if crashes:
            notes.append(f"{exercise}: the worker crashed in {', '.join(crashes)}")
    return notes


def _label(test: dict) -> str:
    return test["name"] + (" (hidden)" if test["visibility"] == "hidden" else "")


def _trouble_table(results: list[dict]) -> str:
    rows = []
    for result in results:
        notes = trouble(result)
        if notes:
            text = "<br>".join(escape(_shorten(n)) for n in notes)
            rows.append([_td(result["submission"]), _td(result["status"]), _td(text, raw=True)])
    return _table(
        ["submission", "status", "what happened"],
        rows,
        "No submission timed out, crashed or failed to be graded.",
    )


def _submissions_table(results: list[dict], names: list[str]) -> str:
    rows = []
    for result in results:
        sid = result["submission"]
        link = f"<a href='feedback/{escape(file_stem(sid))}.md'>{escape(sid)}</a>"
        cells = [_td(link, raw=True), _td(result["status"])]
        for name in names:
            data = result["exercises"].get(name)
            cells.append(_td(fmt(data["score"]) if data else "", True))
        cells.append(_td(f"{fmt(result['score'])} / {fmt(result['max_score'])}", True))
        rows.append(cells)
    return _table(["submission", "status", *names, "total"], rows, "")


def _provenance_table(results: list[dict], damaged_lines: int) -> str:
    def values(get) -> str:
        counts = Counter(str(v) for v in map(get, results) if v not in (None, ""))
        if not counts:
            return "—"
        if len(counts) == 1:
            return next(iter(counts))
        return ", ".join(f"{value} ({n} submissions)" for value, n in counts.most_common())

    def provenance(key):
        return lambda r: r.get("provenance", {}).get(key)

    rows = [
        ["grader version", values(provenance("grader_version"))],
        ["test-suite hash", values(provenance("suite_hash"))],
        ["seed", values(lambda r: r.get("seed"))],
        ["exercises", values(lambda r: " ".join(r.get("provenance", {}).get("exercises", [])))],
        ["Python", values(provenance("python"))],
        ["TensorFlow", values(provenance("tensorflow"))],
        ["Keras", values(provenance("keras"))],
        ["NumPy", values(provenance("numpy"))],
        ["graded between", _graded_span(results)],
    ]
    if damaged_lines:
        rows.append(["damaged lines ignored", str(damaged_lines)])
    return _table(["", "value"], [[_td(k), _td(v)] for k, v in rows], "")


def _graded_span(results: list[dict]) -> str:
    stamps = sorted(r.get("batch", {}).get("finished", "") for r in results)
    stamps = [s for s in stamps if s]
    return f"{stamps[0]} and {stamps[-1]}" if stamps else "—"


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.1f}" if values else "—"


def _median(values: list[float]) -> str:
    return fmt(statistics.median(values)) if values else "—"


def _shorten(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 5] + " [...]"
