"""One source for run and study times (tools/run_times.py): every notebook header, notebook
00's map and README.md state the same figures, and the figures agree with bench/RESULTS.md's
newest measurements within the tool's stated tolerance."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import run_times  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
COLUMNS = {  # the column of bench's notebook tables each figure is read from
    "quick_s": ("time", "nbval"),         # "Notebooks under nbval (quick mode)": time, <= 60 s, nbval
    "cached_s": ("warm cache",),
    "first_s": ("cold cache", "full mode, cache cold"),
}
STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d)")


def bench_column(field: str) -> dict[str, str]:
    """``{notebook stem: cell}``: each notebook's newest measurement of ``field`` in any table of
    bench/RESULTS.md. A table's date is that of the run it sits under (the provenance line of
    its part or long run, or a settings table's date row); a row with a "measured" column
    carries its own. Cells that hold no time ("not run ...") are passed over."""
    names = COLUMNS[field]
    newest: dict[str, tuple[str, str]] = {}
    date, header = "", None
    for line in RESULTS.read_text().splitlines():
        if line.startswith("<!-- part:"):
            date, header = "", None
        if not line.startswith("|"):
            header = None
            found = STAMP.search(line)
            if found and line.startswith("*"):
                date = found.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "date" and len(cells) > 1 and STAMP.search(cells[1]):
            date = STAMP.search(cells[1]).group(1)
        if header is None:
            header = cells
            continue
        row = re.match(r"(\d\d_\w+)\.ipynb$", cells[0])
        column = next((c for c in names if c in header), None)
        if not row or column is None or (field == "quick_s" and "nbval" not in header):
            continue
        cell = cells[header.index(column)]
        own = STAMP.search(cells[header.index("measured")]) if "measured" in header else None
        when = own.group(1) if own else date
        try:
            seconds(cell)
        except ValueError:
            continue
        if row.group(1) not in newest or when >= newest[row.group(1)][0]:
            newest[row.group(1)] = (when, cell)
    return {name: cell for name, (when, cell) in newest.items()}


def seconds(cell: str) -> tuple[float, bool]:
    """``(seconds, lower_bound)`` of a bench cell such as "8.6 s", "3.2 min" or "> 750 s (...)"."""
    m = re.match(r"(>\s*)?([\d.]+)\s*(s|min)\b", cell)
    if not m:
        raise ValueError(f"not a measured time: {cell!r}")
    value = float(m.group(2)) * (60 if m.group(3) == "min" else 1)
    return value, bool(m.group(1))


def agrees(stated: float, measured: float, lower_bound: bool = False) -> bool:
    """The tolerance rule: within TOLERANCE either way or SLACK_S seconds; a measurement that
    is only a lower bound ("> 750 s") needs a stated figure at least that large."""
    if lower_bound:
        return stated >= measured
    if abs(stated - measured) <= run_times.SLACK_S:
        return True
    return 1 / run_times.TOLERANCE <= measured / stated <= run_times.TOLERANCE


def test_the_tolerance_rule():
    assert agrees(480, 488) and agrees(15, 40) and agrees(300, 550)
    assert not agrees(180, 554) and not agrees(600, 200) and not agrees(60, 121)
    assert agrees(900, 750, lower_bound=True) and not agrees(600, 750, lower_bound=True)
    assert seconds("> 750 s (stopped after 750 s)") == (750.0, True)
    assert seconds("3.5 min") == (210.0, False)
    with pytest.raises(ValueError):
        seconds("not run (`python -m bench --long`)")


def test_every_copy_states_the_figures_of_TIMES():
    differ = run_times.sync(write=False)
    assert not differ, f"run times differ from tools/run_times.py in {differ}: run python tools/run_times.py"


@pytest.mark.parametrize("field", sorted(COLUMNS))
def test_the_figures_agree_with_the_newest_measurements(field):
    measured = bench_column(field)
    missing = sorted(set(run_times.TIMES) - set(measured))
    assert not missing, f"bench/RESULTS.md has no {field} measurement of {missing}: run make bench"
    wrong = []
    for name, t in run_times.TIMES.items():
        value, lower = seconds(measured[name])
        if not agrees(getattr(t, field), value, lower):
            wrong.append(f"{name}: stated {getattr(t, field)} s, measured {measured[name]}")
    assert not wrong, f"{field} in tools/run_times.py against bench/RESULTS.md: {wrong}"
