"""Settings for one pytest run over tests/ and notebooks/ (what ``make test`` runs).

* Where ``dataset="auto"`` cannot be Fashion-MNIST (the data of the committed outputs), the
  notebooks run on the digits fallback: every cell is executed and its assertions checked,
  but the outputs marked for comparison are not compared (they were computed on other data).
* The run ends with one line naming every skipped test, why, and what enables it.
"""
from __future__ import annotations

from collections import Counter

COMMITTED_DATA = "fashion-mnist"  # the data of the committed notebook outputs
_notes: list[str] = []


def _notebook_data() -> str:
    from genlib.data import resolve_dataset
    return resolve_dataset("auto", verbose=False)


def pytest_collection_modifyitems(config, items):
    cells = [item for item in items if isinstance(getattr(item, "options", None), dict)
             and "check" in item.options and str(item.fspath).endswith(".ipynb")]
    if not cells:
        return
    data = _notebook_data()
    if data == COMMITTED_DATA:
        return
    for item in cells:
        item.options["check"] = False
    _notes.append(f"notebooks ran on {data!r}, not {COMMITTED_DATA!r}: cells executed and "
                  "their assertions checked, outputs not compared with the committed ones "
                  "(to compare: apt-get install dataset-fashion-mnist, or allow downloads)")


def pytest_terminal_summary(terminalreporter):
    reasons = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    lines = list(_notes)
    if reasons:
        lines.append(f"SKIPPED {sum(reasons.values())}: " + "; ".join(
            f"{n} x {reason}" for reason, n in reasons.most_common()))
    for line in lines:
        terminalreporter.write_line(line, yellow=True, bold=True)
