"""Run time and memory of the notebooks: nbval in quick mode, each notebook in full mode.

nbval runs as CI does (``GENLIB_QUICK=1``, one process, a fresh checkpoint cache). In full mode
each notebook runs cell by cell with ``nbclient`` in a child process (``python -m bench.notebooks
NOTEBOOK`` prints a JSON line after every cell), warm (the cache ``make pretrain`` leaves) or
cold (``--cold``: an empty ``GENLIB_CACHE``, every model trained), with the kernel's peak memory.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from . import ROOT, Section, TargetCheck, fmt, markdown_table, run_process

NBVAL_TOTAL_TARGET_S = 300.0
NOTEBOOK_QUICK_TARGET_S = 60.0  # CONTRIBUTING.md: each notebook in quick mode
FULL_COLD_TARGET_S = 600.0
FULL_WARM_TARGET_S = 60.0
PEAK_MEMORY_TARGET_GB = 3.0
COLD_LIMIT_S = 1.25 * FULL_COLD_TARGET_S  # enough to tell by how much a target is missed
WARM_LIMIT_S = 3 * FULL_WARM_TARGET_S
NOT_MEASURED = float("nan")


@dataclass
class KernelRun:
    """What one execution of a notebook cost."""

    notebook: str
    seconds: float  # wall clock, kernel start to the last cell's end
    peak_rss_bytes: int | None  # VmHWM of the kernel; None where it could not be read
    error: str | None = None  # why the run failed (first line), None on success
    stopped: bool = False  # stopped at its time limit: it would have taken longer

    @property
    def peak_gb(self) -> float:
        return self.peak_rss_bytes / 1e9 if self.peak_rss_bytes else NOT_MEASURED

    def text(self) -> str:
        if self.stopped:
            return f"> {self.seconds:.0f} s ({self.error})"
        return f"{self.seconds:.0f} s" + (f" (failed: {self.error})" if self.error else "")


def peak_rss_bytes(pid: int) -> int | None:
    """The peak resident set size of a live process (``VmHWM``), or None if unreadable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) * 1024
    except (OSError, StopIteration):  # gone, or no such field
        return None


def execute_here(path: Path, cell_timeout: float) -> KernelRun:
    """Execute the notebook at ``path`` in a new kernel (cells tagged ``raises-exception`` may
    raise), printing after each cell a JSON line with the kernel's peak memory so far."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=int(cell_timeout), kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start, peak, error = time.perf_counter(), None, None
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
                peak = peak_rss_bytes(client.km.provisioner.pid) or peak
                print(json.dumps({"cells_done": index + 1, "peak_rss_bytes": peak}), flush=True)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
    return KernelRun(path.name, time.perf_counter() - start, peak, error)


def run_notebook(path: Path, env: dict[str, str], timeout_s: float) -> KernelRun:
    """:func:`execute_here` in a child process with environment ``env``, stopped (kernel
    included) after ``timeout_s`` seconds, returning a run marked ``stopped``."""
    command = [sys.executable, "-m", "bench.notebooks", str(path), str(max(1, int(timeout_s)))]
    start = time.perf_counter()
    done = run_process(command, env, timeout_s)
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if reports and "notebook" in reports[-1]:
        return KernelRun(**reports[-1])
    peak = reports[-1]["peak_rss_bytes"] if reports else None
    if done.returncode is None:
        cells = reports[-1]["cells_done"] if reports else 0
        return KernelRun(path.name, timeout_s, peak,
                         f"stopped after {timeout_s:.0f} s ({cells} cells done)", stopped=True)
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
    return KernelRun(path.name, time.perf_counter() - start, peak,
                     f"runner failed (exit {done.returncode}): {tail}")


def smoke_notebook(folder: Path) -> Path:
    """A three-cell notebook for the harness's smoke run (``--quick``): nbval with a compared
    output and a kernel importing genlib and torch, in seconds."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = new_notebook(cells=[new_markdown_cell("# Harness smoke run"), new_code_cell(
        "import torch\nfrom genlib import config\nprint(config.mode())", execution_count=1),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nx = torch.linspace(0, 1, 5)\n"
                      "assert abs(x.sum().item() - 2.5) < 1e-6\nprint(round(x.sum().item(), 2))",
                      execution_count=2,
                      outputs=[new_output("stream", name="stdout", text="2.5\n")])],
        metadata={"kernelspec": kernel})
    nbformat.write(nb, path := Path(folder) / "00_harness_smoke.ipynb")
    return path


def trained_recipes(cache: Path) -> list[tuple[str, float]]:
    """``(recipe, training seconds)`` of every checkpoint a run left in the cache ``cache``
    (read from the files' configurations and histories), longest first."""
    import torch

    found = []
    for path in sorted((Path(cache) / "checkpoints").glob("*.pt")):
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            found.append((payload["config"]["recipe"], float(payload["history"]["seconds"])))
        except Exception:  # noqa: BLE001 - a file being written, or without a history
            found.append((path.stem.rsplit("-", 1)[0], NOT_MEASURED))
    return sorted(found, key=lambda item: -item[1] if item[1] == item[1] else 0.0)


def _trained_text(trained: list[tuple[str, float]]) -> str:
    if not trained:
        return "none"
    total = sum(seconds for _, seconds in trained if seconds == seconds)
    return (", ".join(f"{name} {seconds:.0f} s" for name, seconds in trained)
            + f" (training {total:.0f} s in all)")


def measure(quick: bool, deadline: float, cold: bool = False,
            prefixes: list[str] | None = None) -> list[Section]:
    """The nbval section (not with ``cold``) and the full-mode section; runs that cannot start
    before ``deadline`` (a ``time.monotonic()`` value) are left out. ``quick`` (the smoke run)
    measures :func:`smoke_notebook`, cold in quick mode; ``prefixes`` picks notebooks by name."""
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as folder:
        paths = [smoke_notebook(Path(folder))] if quick else [
            p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
            if p.name.startswith(tuple(prefixes or [""]))]
        if not paths:
            raise ValueError(f"no notebook's name starts with any of {prefixes}")
        cold = cold or quick
        sections = [nbval_section(paths, deadline)] if quick or not cold else []
        runs = []  # (notebook, KernelRun or None: time budget spent, recipes trained)
        for path in paths:
            left = deadline - time.monotonic()
            if left < 30:
                runs.append((path.name, None, []))
            elif cold:
                with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
                    env = dict(os.environ, GENLIB_QUICK=str(int(quick)), GENLIB_CACHE=cache)
                    run = run_notebook(path, env, min(COLD_LIMIT_S, left))
                    runs.append((path.name, run, trained_recipes(Path(cache))))
            else:
                env = {k: v for k, v in os.environ.items() if k != "GENLIB_CACHE"}
                runs.append((path.name, run_notebook(path, dict(env, GENLIB_QUICK="0"),
                                                     min(WARM_LIMIT_S, left)), []))
        return sections + [full_mode_section(runs, quick, cold)]


def nbval_section(paths: list[Path], deadline: float) -> Section:
    """The notebooks under nbval in quick mode, with a fresh checkpoint cache."""
    per_notebook, failures, error = defaultdict(float), defaultdict(int), None
    with tempfile.TemporaryDirectory(prefix="bench-nbval-") as tmp:
        report = Path(tmp) / "junit.xml"
        env = dict(os.environ, GENLIB_QUICK="1", GENLIB_CACHE=str(Path(tmp) / "cache"))
        start = time.perf_counter()
        done = run_process([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "--nbval-lax", "--nbval-current-env", f"--junitxml={report}",
                            *map(str, paths)], env, min(max(60.0, deadline - time.monotonic()),
                                                        3 * NBVAL_TOTAL_TARGET_S))
        seconds = time.perf_counter() - start
        if done.returncode is None:
            error = f"stopped after {seconds:.0f} s"
        elif not report.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            error = f"pytest exit {done.returncode}: {tail[0][:200]}"
        else:
            for case in ElementTree.parse(report).iter("testcase"):
                name = ".".join(case.get("classname", "").split(".")[-2:])  # NN_name.ipynb
                per_notebook[name] += float(case.get("time", 0.0))
                failures[name] += sum(child.tag in ("failure", "error") for child in case)
    rows = [[name, f"{s:.1f} s", "yes" if s <= NOTEBOOK_QUICK_TARGET_S else "**no**",
             f"{failures[name]} cells failed" if failures[name] else "passed"]
            for name, s in per_notebook.items()]
    check = TargetCheck(f"nbval, quick mode, {len(paths)} notebook(s) (total)",
                        NOT_MEASURED if error else seconds / 60, NBVAL_TOTAL_TARGET_S / 60, "min",
                        higher_is_better=False)
    slowest = max(per_notebook.items(), key=lambda kv: kv[1], default=None)
    if not check.met and slowest:
        check.limited_by = f"slowest notebook {slowest[0]} ({slowest[1]:.0f} s)"
    text = (f"`pytest --nbval-lax --nbval-current-env` over {len(paths)} notebook(s), "
            "`GENLIB_QUICK=1`, one process, a fresh checkpoint cache (as CI from a clean clone). "
            f"Total wall time **{fmt(seconds)} s** (target <= {NBVAL_TOTAL_TARGET_S:.0f} s)"
            + (f"; **{error}**" if error else "") + ". Per notebook: its cells' setup + call + "
            f"teardown (JUnit report), against CONTRIBUTING.md's {NOTEBOOK_QUICK_TARGET_S:.0f} s "
            "per notebook in quick mode.\n\n" + markdown_table(
                ["notebook", "time", f"<= {NOTEBOOK_QUICK_TARGET_S:.0f} s", "nbval"], rows))
    return Section("Notebooks under nbval (quick mode)", text, [check])


def full_mode_section(runs: list, quick: bool, cold: bool) -> Section:
    mode, label = ("quick" if quick else "full"), ("cold" if cold else "warm")
    target = FULL_COLD_TARGET_S if cold else FULL_WARM_TARGET_S
    rows, checks, memory = [], [], []
    for notebook, run, trained in runs:
        cell = run.text() if run else "not run (time budget spent)"
        other = ("not run (smoke run)" if quick else "not run (`make bench`)" if cold
                 else "not run (`make bench-cold`)")
        rows.append([notebook, *((cell, other) if cold else (other, cell)),
                     f"{fmt(run.peak_gb if run else NOT_MEASURED)} GB"]
                    + ([_trained_text(trained) if run else ""] if cold else []))
        # a run stopped before the target (the harness's time budget ran out) tells nothing
        ok = run is not None and (not run.error or (run.stopped and run.seconds >= target))
        check = TargetCheck(f"{notebook}, {mode} mode, cache {label}",
                            run.seconds if ok else NOT_MEASURED, target, "s", higher_is_better=False)
        reasons = ["stopped at the harness's limit, so at least this much" if ok and run.stopped
                   else "", "models trained (checkpoints written by then): " + _trained_text(trained)
                   if cold and ok and not check.met and trained else ""]
        check.limited_by = "; ".join(filter(None, reasons))
        checks.append(check)
        memory.append(TargetCheck(f"{notebook}, peak kernel memory ({mode} mode)",
                                  run.peak_gb if run else NOT_MEASURED, PEAK_MEMORY_TARGET_GB,
                                  "GB", higher_is_better=False))
    how = ("with `GENLIB_CACHE` pointing to a new empty folder (cold: every model is trained); "
           "the warm runs are `make bench`'s. The last column: the models the cold run trained, "
           "from the checkpoints it wrote (one still training when a run was stopped is not "
           "listed)" if cold else
           "once, with the project's checkpoint cache `data/checkpoints` as `make pretrain` "
           "leaves it (warm: checkpoints load); the cold runs are `make bench-cold`'s")
    text = (f"Each notebook executed by `nbclient` in {mode} mode (`GENLIB_QUICK={int(quick)}`), "
            f"{how}. Targets: cold <= {FULL_COLD_TARGET_S:.0f} s, warm <= "
            f"{FULL_WARM_TARGET_S:.0f} s, peak kernel memory <= {PEAK_MEMORY_TARGET_GB:.0f} GB. A "
            f"cold run is stopped after {COLD_LIMIT_S:.0f} s and a warm one after "
            f"{WARM_LIMIT_S:.0f} s (shown as `> N s`: the target is missed by at least that). Peak "
            "memory: the kernel's resident set size (`VmHWM`; processes it starts not counted).\n\n"
            + markdown_table(["notebook", "cold cache", "warm cache", "peak memory"]
                             + (["models trained (cold)"] if cold else []), rows))
    return Section(f"Notebooks in {mode} mode, cache {label}", text, checks + memory)


if __name__ == "__main__":  # python -m bench.notebooks NOTEBOOK [CELL_TIMEOUT_S]
    run = execute_here(Path(sys.argv[1]).resolve(), float(sys.argv[2]) if sys.argv[2:] else 600)
    print(json.dumps(asdict(run)))
