"""Run time of the collection: nbval in quick mode, and each notebook in full mode.

1. The whole collection under nbval in quick mode, as CI runs it (``GENLIB_QUICK=1``, one
   pytest process, notebooks one after the other, a fresh checkpoint cache as in a clean
   clone): total wall time, and each notebook's time (the sum of its cells' setup, run
   and teardown from pytest's JUnit report, so kernel start-up included).
   Target: at most 5 minutes in all.
2. Each notebook in full mode (``GENLIB_QUICK=0``), executed with ``nbclient``: warm, with
   the project's checkpoint cache as ``make pretrain`` leaves it (``python -m bench``), and
   cold, with ``GENLIB_CACHE`` pointing to a new empty folder so that the notebook trains
   every model it needs (``python -m bench --long``). Targets: at most 10 minutes cold and
   60 seconds warm. Both runs also give the kernel's peak memory (:mod:`bench.memory`),
   target at most 3 GB.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import ROOT, Section, TargetCheck, fmt, markdown_table, run_process
from .memory import PEAK_MEMORY_TARGET_GB, KernelRun, memory_section, run_notebook

NBVAL_TOTAL_TARGET_S = 300.0
NOTEBOOK_QUICK_TARGET_S = 60.0  # CONTRIBUTING.md: each notebook in quick mode
FULL_COLD_TARGET_S = 600.0
FULL_WARM_TARGET_S = 60.0
COLD_LIMIT_S = 1.25 * FULL_COLD_TARGET_S  # enough to tell by how much a target is missed
WARM_LIMIT_S = 3 * FULL_WARM_TARGET_S
NOT_MEASURED = float("nan")


def notebook_paths(prefixes: list[str] | None = None) -> list[Path]:
    """Every notebook of the collection, in order; only those whose names start with one of
    ``prefixes`` if given."""
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if p.name.startswith(tuple(prefixes))]
        if not paths:
            raise ValueError(f"no notebook's name starts with any of {prefixes}")
    return paths


def smoke_notebook(folder: Path) -> Path:
    """A three-cell notebook for the harness's smoke run (``--quick``): it exercises the
    same machinery as the collection (nbval with a compared output, a kernel importing
    genlib and torch) in seconds. The collection itself is tested by ``make test``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    check = new_code_cell("# NBVAL_CHECK_OUTPUT\nx = torch.linspace(0, 1, 5)\n"
                          "assert abs(x.sum().item() - 2.5) < 1e-6\n"
                          "print(round(x.sum().item(), 2))",
                          execution_count=2,
                          outputs=[new_output("stream", name="stdout", text="2.5\n")])
    nb = new_notebook(cells=[
        new_markdown_cell("# Harness smoke run"),
        new_code_cell("import torch\nfrom genlib import config\nprint(config.mode())",
                      execution_count=1),
        check])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                              "language": "python"}
    path = Path(folder) / "00_harness_smoke.ipynb"
    nbformat.write(nb, path)
    return path


# ----------------------------------------------------------------------------- nbval
@dataclass
class NbvalRun:
    seconds: float
    per_notebook: dict[str, float] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # failed or errored cells
    error: str | None = None


def nbval_quick(paths: list[Path], timeout_s: float) -> NbvalRun:
    """The notebooks under nbval in quick mode, with a fresh checkpoint cache."""
    with tempfile.TemporaryDirectory(prefix="bench-nbval-") as tmp:
        report = Path(tmp) / "junit.xml"
        env = dict(os.environ, GENLIB_QUICK="1", GENLIB_CACHE=str(Path(tmp) / "cache"))
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "--nbval-lax", "--nbval-current-env", f"--junitxml={report}",
                   *[str(p) for p in paths]]
        start = time.perf_counter()
        done = run_process(command, env, timeout_s)
        seconds = time.perf_counter() - start
        if done.returncode is None:
            return NbvalRun(seconds, error=f"stopped after {timeout_s:.0f} s")
        if not report.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            return NbvalRun(seconds, error=f"pytest exit {done.returncode}: {tail[0][:200]}")
        run = NbvalRun(seconds)
        times, failures = defaultdict(float), defaultdict(int)
        for case in ElementTree.parse(report).iter("testcase"):
            name = ".".join(case.get("classname", "").split(".")[-2:])  # NN_name.ipynb
            times[name] += float(case.get("time", 0.0))
            failures[name] += sum(1 for child in case if child.tag in ("failure", "error"))
        run.per_notebook, run.failures = dict(times), dict(failures)
        return run


# ----------------------------------------------------------------------------- full mode
@dataclass
class FullModeRuns:
    notebook: str
    cold: KernelRun | None  # None: not run (time budget spent)
    warm: KernelRun | None
    trained: list[tuple[str, float]] = field(default_factory=list)  # cold: (recipe, seconds)

    @property
    def peak_gb(self) -> float:
        peaks = [r.peak_gb for r in (self.cold, self.warm) if r is not None and r.peak_rss_bytes]
        return max(peaks) if peaks else NOT_MEASURED


def trained_recipes(cache: Path) -> list[tuple[str, float]]:
    """``(recipe, training seconds)`` of every checkpoint a run left in the cache ``cache``
    (read from the files' configurations and histories), longest first."""
    found = []
    for path in sorted((Path(cache) / "checkpoints").glob("*.pt")):
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            found.append((payload["config"]["recipe"], float(payload["history"]["seconds"])))
        except Exception:  # noqa: BLE001 - a file being written, or without a history
            found.append((path.stem.rsplit("-", 1)[0], float("nan")))
    return sorted(found, key=lambda item: -item[1] if item[1] == item[1] else 0.0)


def _trained_text(trained: list[tuple[str, float]]) -> str:
    if not trained:
        return "none"
    total = sum(seconds for _, seconds in trained if seconds == seconds)
    return (", ".join(f"{name} {seconds:.0f} s" for name, seconds in trained)
            + f" (training {total:.0f} s in all)")


def full_mode_cold_and_warm(paths: list[Path], deadline: float, quick_mode: bool = False,
                            cold: bool = True, cold_limit_s: float = COLD_LIMIT_S,
                            warm_limit_s: float = WARM_LIMIT_S) -> list[FullModeRuns]:
    """Each notebook once; runs that cannot start before ``deadline`` (a ``time.monotonic()``
    value) are left out (None). ``cold=True``: with a new empty checkpoint cache, so the
    notebook trains every model it needs (``quick_mode``, the harness's smoke run: in quick
    mode). ``cold=False``: warm, with the project's own checkpoint cache (``data/checkpoints``,
    filled by ``make pretrain``)."""
    results = []
    for path in paths:
        if deadline - time.monotonic() < 30:
            results.append(FullModeRuns(path.name, None, None))
            continue
        if cold:
            with tempfile.TemporaryDirectory(prefix=f"bench-{path.stem[:2]}-cache-") as cache:
                env = dict(os.environ, GENLIB_QUICK="1" if quick_mode else "0", GENLIB_CACHE=cache)
                run = run_notebook(path, env, min(cold_limit_s, deadline - time.monotonic()))
                trained = trained_recipes(Path(cache))
            results.append(FullModeRuns(path.name, run, None, trained))
        else:
            env = dict(os.environ, GENLIB_QUICK="0")
            env.pop("GENLIB_CACHE", None)
            run = run_notebook(path, env, min(warm_limit_s, deadline - time.monotonic()))
            results.append(FullModeRuns(path.name, None, run))
    return results


# ----------------------------------------------------------------------------- report
def _seconds(run: KernelRun | None, why_not: str) -> str:
    if run is None:
        return f"not run ({why_not})"
    if run.stopped:
        return f"> {run.seconds:.0f} s ({run.error})"
    return f"{run.seconds:.0f} s" + ("" if run.ok else f" (failed: {run.error})")


def measure(quick: bool, deadline: float, cold: bool = False,
            prefixes: list[str] | None = None) -> list[Section]:
    """The nbval section and the full-mode (time and memory) sections.

    ``quick`` (the harness's smoke run) measures :func:`smoke_notebook` instead of the
    collection, cold only and in quick mode. Otherwise the full-mode runs are warm, with the
    project's checkpoint cache; ``cold=True`` (``python -m bench --long``) runs each notebook
    with a new empty cache instead, and leaves out the nbval run. ``prefixes`` picks the
    notebooks by the start of their names (all when None)."""
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as folder:
        paths = [smoke_notebook(Path(folder))] if quick else notebook_paths(prefixes)
        return _measure(paths, quick, deadline, cold or quick)


def _measure(paths: list[Path], quick: bool, deadline: float, cold: bool) -> list[Section]:
    sections = []
    if not cold or quick:
        sections.append(nbval_section(paths, deadline))
    runs = full_mode_cold_and_warm(paths, deadline, quick_mode=quick, cold=cold)
    sections.append(full_mode_section(runs, quick, cold))
    sections.append(memory_section({r.notebook: r.peak_gb for r in runs},
                                   "quick" if quick else "full"))
    return sections


def nbval_section(paths: list[Path], deadline: float) -> Section:
    budget = max(60.0, deadline - time.monotonic())
    nbval = nbval_quick(paths, timeout_s=min(budget, 3 * NBVAL_TOTAL_TARGET_S))
    rows = [[name, f"{seconds:.1f} s", "yes" if seconds <= NOTEBOOK_QUICK_TARGET_S else "**no**",
             f"{nbval.failures[name]} cells failed" if nbval.failures.get(name) else "passed"]
            for name, seconds in nbval.per_notebook.items()]
    total = nbval.seconds if nbval.error is None else NOT_MEASURED
    check = TargetCheck(f"nbval, quick mode, {len(paths)} notebook(s) (total)", total / 60,
                        NBVAL_TOTAL_TARGET_S / 60, "min", higher_is_better=False)
    slowest = max(nbval.per_notebook.items(), key=lambda kv: kv[1], default=("", 0.0))
    if not check.met and slowest[0]:
        check.limited_by = f"slowest notebook {slowest[0]} ({slowest[1]:.0f} s)"
    text = [f"`pytest --nbval-lax --nbval-current-env` over {len(paths)} notebook(s), "
            "`GENLIB_QUICK=1`, one process, a fresh checkpoint cache (as CI from a clean "
            f"clone). Total wall time **{fmt(nbval.seconds)} s** (target <= "
            f"{NBVAL_TOTAL_TARGET_S:.0f} s)" + (f"; **{nbval.error}**" if nbval.error else "")
            + ". Per notebook: its cells' setup + call + teardown (JUnit report), against "
            f"CONTRIBUTING.md's {NOTEBOOK_QUICK_TARGET_S:.0f} s per notebook in quick mode.", "",
            markdown_table(["notebook", "time", f"<= {NOTEBOOK_QUICK_TARGET_S:.0f} s", "nbval"],
                           rows)]
    return Section("Notebooks under nbval (quick mode)", "\n".join(text), [check])


def full_mode_section(runs: list[FullModeRuns], quick: bool, cold: bool) -> Section:
    mode = "quick" if quick else "full"
    rows, checks = [], []
    for r in runs:
        why_not_warm = ("smoke run" if quick else "`make bench`" if cold
                        else "time budget spent")
        why_not_cold = "time budget spent" if cold else "`python -m bench --long`"
        rows.append([r.notebook, _seconds(r.cold, why_not_cold),
                     _seconds(r.warm, why_not_warm), f"{fmt(r.peak_gb)} GB"]
                    + ([_trained_text(r.trained) if r.cold is not None else ""] if cold else []))
        for label, run, target in (("cold", r.cold, FULL_COLD_TARGET_S),
                                   ("warm", r.warm, FULL_WARM_TARGET_S)):
            if run is None and (label == "cold") != cold:
                continue  # the other kind of run, made by the other harness mode
            # a run stopped before the target (the harness's time budget ran out) tells nothing
            ok = run is not None and (run.ok or (run.stopped and run.seconds >= target))
            check = TargetCheck(f"{r.notebook}, {mode} mode, cache {label}",
                                run.seconds if ok else NOT_MEASURED, target, "s",
                                higher_is_better=False)
            if ok and run.stopped:
                check.limited_by = "stopped at the harness's limit, so at least this much"
            if label == "cold" and ok and not check.met and r.trained:
                check.limited_by = "; ".join(filter(None, [
                    check.limited_by, "models trained (checkpoints written by then): "
                    + _trained_text(r.trained)]))
            checks.append(check)
    how = ("with `GENLIB_CACHE` pointing to a new empty folder (cold: every model is "
           "trained); the warm runs are `make bench`'s" if cold else
           "once, with the project's checkpoint cache `data/checkpoints` as `make pretrain` "
           "leaves it (warm: checkpoints load). The cold runs train every model and take "
           "longer than this harness's 30 minutes; they are `python -m bench --long`")
    text = [f"Each notebook executed by `nbclient` in {mode} mode (`GENLIB_QUICK="
            f"{'1' if quick else '0'}`), {how}. Targets: cold <= {FULL_COLD_TARGET_S:.0f} s, warm <= "
            f"{FULL_WARM_TARGET_S:.0f} s, peak kernel memory <= {PEAK_MEMORY_TARGET_GB:.0f} GB. "
            f"A cold run is stopped after {COLD_LIMIT_S:.0f} s and a warm one after "
            f"{WARM_LIMIT_S:.0f} s (shown as `> N s`: the target is missed by at least that)."
            + (" The last column lists the models the cold run trained (recipe and training "
               "time, from the checkpoints it wrote; a model still training when a run was "
               "stopped is not listed)." if cold else ""),
            "", markdown_table(["notebook", "cold cache", "warm cache", "peak memory"]
                               + (["models trained (cold)"] if cold else []), rows)]
    title = f"Notebooks in {mode} mode, " + ("cache cold" if cold else "cache warm")
    return Section(title, "\n".join(text), checks)
