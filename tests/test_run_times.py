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
SECTIONS = {  # the bench table and the column each figure is read from
    "quick_s": ("#### Notebooks under nbval (quick mode)", 1),
    "cached_s": ("#### Notebooks in full mode, cache warm", 2),
    "first_s": ("#### Notebooks in full mode, cache cold: the newest run of each", 1),
}


def bench_column(title: str, column: int) -> dict[str, str]:
    """``{notebook stem: cell}`` of the first table under the heading ``title``."""
    text = RESULTS.read_text()
    assert title in text, f"bench/RESULTS.md has no section {title!r}: run make bench"
    rows = {}
    for line in text.split(title, 1)[1].split("\n####", 1)[0].splitlines():
        m = re.match(r"\|\s*(\d\d_\w+)\.ipynb\s*\|", line)
        if m:
            rows[m.group(1)] = line.strip("|").split("|")[column].strip()
    return rows


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


@pytest.mark.parametrize("field", sorted(SECTIONS))
def test_the_figures_agree_with_the_newest_measurements(field):
    title, column = SECTIONS[field]
    measured = bench_column(title, column)
    assert sorted(measured) == sorted(run_times.TIMES), f"bench/RESULTS.md {title!r} lacks notebooks"
    wrong = []
    for name, t in run_times.TIMES.items():
        value, lower = seconds(measured[name])
        if not agrees(getattr(t, field), value, lower):
            wrong.append(f"{name}: stated {getattr(t, field)} s, measured {measured[name]}")
    assert not wrong, f"{field} in tools/run_times.py against bench/RESULTS.md: {wrong}"
