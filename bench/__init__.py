"""Benchmarks of the collection: speed, quality and run time (``python -m bench``). This module
holds what the parts of ``bench/RESULTS.md`` share: the report (:class:`TargetCheck`,
:class:`Section`, :func:`write_part`) and :func:`run_process`."""
from __future__ import annotations

import datetime
import math
import os
import platform
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
ORDER = ("throughput", "widgets", "notebooks", "hub")  # the parts first in RESULTS.md
PART = re.compile(r"<!-- part: (?P<name>[\w-]+) -->\n.*?<!-- end of part -->\n", re.DOTALL)


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant figures, thousands kept whole."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 10 ** digits else f"{value:.{digits}g}"


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


@dataclass
class TargetCheck:
    """One measured figure against its target (met when measured >= target for a
    ``higher_is_better`` figure, <= otherwise); ``limited_by`` says why a target is missed."""

    figure: str
    measured: float
    target: float
    unit: str
    higher_is_better: bool
    limited_by: str = ""

    @property
    def met(self) -> bool:
        return math.isfinite(self.measured) and (
            self.measured >= self.target if self.higher_is_better else self.measured <= self.target)

    def row(self) -> list[str]:
        ratio = self.measured / self.target if self.target else math.nan
        missed = (f"missed: {1 - ratio:.0%} below the target" if self.higher_is_better
                  else f"missed: {ratio - 1:.0%} over the target")
        missed += f"; {self.limited_by}" if self.limited_by else ""
        verdict = ("not measured" if not math.isfinite(self.measured)
                   else "met" if self.met else missed)
        sign = ">=" if self.higher_is_better else "<="
        return [self.figure, f"{fmt(self.measured)} {self.unit}".rstrip(),
                f"{sign} {fmt(self.target)} {self.unit}".rstrip(), fmt(ratio, 2), verdict]


@dataclass
class Section:
    """A part of RESULTS.md: a title, its markdown, and the targets it checks."""

    title: str
    markdown: str
    checks: list[TargetCheck] = field(default_factory=list)


def git_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    try:
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(command: str, load_start: tuple, seconds: float) -> str:
    """The line under each part's heading: what ran, when, where, at which commit."""
    import torch

    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load = ", ".join(f"{x:.2f}" for x in load_start)
    return (f"*`{command}`, {now}, commit {git_revision()}; {cpu}, {os.cpu_count()} cores, torch "
            f"{torch.__version__} ({torch.get_num_threads()} threads), load average {load} at the "
            f"start; {seconds / 60:.1f} min.*")


def write_part(name: str, sections: list[Section], line: str, path: Path = RESULTS) -> None:
    """Replace (or append) part ``name`` of ``path``: ``line`` (its :func:`provenance`), the
    table of its sections' targets, the sections; every other part is kept as it was."""
    checks = [c for s in sections for c in s.checks]
    part = [f"<!-- part: {name} -->", line, ""] + ([markdown_table(
        ["figure", "measured", "target", "ratio", "verdict"], [c.row() for c in checks]), ""]
        if checks else [])
    for section in sections:
        part += [f"### {section.title}", "", section.markdown, ""]
    old = path.read_text() if path.exists() else ""
    kept = {m["name"]: m.group(0) for m in PART.finditer(old)}
    kept[name] = "\n".join(part) + "<!-- end of part -->\n"
    order = [p for p in ORDER if p in kept] + [p for p in kept if p not in ORDER]
    text = ["# Benchmark results", "",
            "Written by `python -m bench` (`make bench`), one part per measurement; each part "
            "says when and at which commit it was measured. Benchmarks, not timed tests: the "
            "machines are shared, so figures are medians over repeats and comparisons are "
            "ratios measured in the same run.", ""]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(text + [kept[p] for p in order]))
    tmp.replace(path)


_RUNNING: set[int] = set()  # process groups started by run_process and not finished yet


def run_process(command: list[str], env: dict[str, str],
                timeout_s: float) -> subprocess.CompletedProcess:
    """Run ``command`` from the repository root in a new process group; at the time limit,
    stop it with everything it started (kernels, workers) and return ``returncode`` None."""
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    _RUNNING.add(child.pid)
    try:
        out, err = child.communicate(timeout=timeout_s)
        return subprocess.CompletedProcess(command, child.returncode, out, err)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        return subprocess.CompletedProcess(command, None, out, err)
    finally:
        _RUNNING.discard(child.pid)


def stop_running_processes(signum, frame) -> None:
    """On SIGTERM or Ctrl-C of the harness: kill every process group :func:`run_process`
    started that is still running, then exit."""
    for pid in list(_RUNNING):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    raise SystemExit(128 + signum)
