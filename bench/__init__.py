"""Benchmarks of the collection: speed, quality and run time, measured side by side.

``python -m bench`` (``make bench``) measures everything and writes ``bench/RESULTS.md``;
``python -m bench --quick`` (``make bench-quick``) is a smoke run of the same code in a
few minutes. These are benchmarks, not timed tests: the machines are shared and noisy, so
every figure is a median over repeats, and comparisons are ratios measured in the same run.

Modules, one measurement each:

* :mod:`bench.throughput`   every family's training images/s, this checkout against an earlier
  commit, interleaved (the worker is ``bench/throughput_worker.py``)
* :mod:`bench.notebooks`    the collection under nbval (quick mode); each notebook in full
  mode with the checkpoint cache cold and warm
* :mod:`bench.memory`       peak resident memory of a notebook's kernel
* ``bench/bench_widgets.py`` latency from a slider's change to new image bytes
* ``bench/device_check.py``  every recipe in quick mode on the GPU, printing each model's device
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class TargetCheck:
    """One measured figure against its target, for the summary at the top of RESULTS.md.

    ``ratio`` is measured / target; the target is met when the ratio is >= 1 for a
    ``higher_is_better`` figure (throughput) and <= 1 otherwise (times, memory).
    ``limited_by`` says, for a missed target, what the profile shows is in the way.
    """

    figure: str
    measured: float
    target: float
    unit: str
    higher_is_better: bool
    limited_by: str = ""

    @property
    def ratio(self) -> float:
        return self.measured / self.target if self.target else math.nan

    @property
    def met(self) -> bool:
        if not math.isfinite(self.measured):
            return False
        return self.measured >= self.target if self.higher_is_better \
            else self.measured <= self.target

    def verdict(self) -> str:
        """``met``, or by how much it is missed (and why, where known)."""
        if not math.isfinite(self.measured):
            return "not measured"
        if self.met:
            return "met"
        if self.higher_is_better:
            short = 1 - self.measured / self.target
            text = f"missed: {short:.0%} below the target"
        else:
            text = f"missed: {self.measured / self.target - 1:.0%} over the target"
        return f"{text}; {self.limited_by}" if self.limited_by else text

    def row(self) -> list[str]:
        comparison = ">=" if self.higher_is_better else "<="
        return [self.figure, f"{fmt(self.measured)} {self.unit}",
                f"{comparison} {fmt(self.target)} {self.unit}", fmt(self.ratio, 2),
                self.verdict()]


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant figures, thousands kept whole."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class Section:
    """A part of RESULTS.md: a title, its markdown, and the targets it checks."""

    title: str
    markdown: str
    checks: list[TargetCheck]


@dataclass
class ProcessResult:
    returncode: int | None  # None: stopped at the time limit
    stdout: str
    stderr: str


_RUNNING: set[int] = set()  # process groups started by run_process and not finished yet


def run_process(command: list[str], env: dict[str, str], timeout_s: float) -> ProcessResult:
    """Run ``command`` from the repository root in a new process group; at the time limit,
    stop it together with everything it started (kernels, worker processes)."""
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    _RUNNING.add(child.pid)
    try:
        out, err = child.communicate(timeout=timeout_s)
        return ProcessResult(child.returncode, out, err)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        return ProcessResult(None, out, err)
    finally:
        _RUNNING.discard(child.pid)


def stop_running_processes(signum=None, frame=None) -> None:
    """Kill every process group :func:`run_process` started that is still running (on
    SIGTERM or Ctrl-C of the harness), then exit if called as a signal handler."""
    for pid in list(_RUNNING):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if signum is not None:
        raise SystemExit(128 + signum)
