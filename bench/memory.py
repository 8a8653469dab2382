"""Run one notebook in a fresh kernel and measure its time and the kernel's peak memory.

The notebook is executed cell by cell with ``nbclient`` (as ``jupyter nbconvert --execute``
does, cells tagged ``raises-exception`` may raise); just before the kernel is shut down we
read its peak resident set size, ``VmHWM`` in ``/proc/<kernel pid>/status`` (Linux).
That is the memory a student's laptop must have for this notebook, Python, PyTorch, data
and models included (processes the kernel starts are not counted).

:func:`run_notebook` runs this module in a child process (so that the run's settings,
e.g. ``GENLIB_QUICK`` and ``GENLIB_CACHE``, reach the kernel through the environment and a
run over its time limit can be stopped with its kernel)::

    python -m bench.memory notebooks/03_dcgan_images.ipynb   # prints one JSON line
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import Section, TargetCheck, fmt, markdown_table, run_process

PEAK_MEMORY_TARGET_GB = 3.0


@dataclass
class KernelRun:
    """What one execution of a notebook cost."""

    notebook: str
    seconds: float  # wall clock, kernel start to the last cell's end
    peak_rss_bytes: int | None  # VmHWM of the kernel; None where it could not be read
    error: str | None = None  # why the run failed (first line), None on success
    stopped: bool = False  # stopped at its time limit: it would have taken longer

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def peak_gb(self) -> float:
        return self.peak_rss_bytes / 1e9 if self.peak_rss_bytes else float("nan")


def peak_rss_bytes(pid: int) -> int | None:
    """The peak resident set size of a live process (``VmHWM``), or None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    return None


def execute_here(path: Path, cell_timeout: float) -> KernelRun:
    """Execute the notebook at ``path`` in a new kernel, in this process's environment.
    After each cell, print a JSON line with the kernel's peak memory so far (so a run
    stopped at its time limit still tells how much memory it had needed)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=int(cell_timeout), kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    peak, error = None, None
    try:
        with client.setup_kernel():
            pid = client.km.provisioner.pid
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
                peak = peak_rss_bytes(pid) or peak
                print(json.dumps({"cells_done": index + 1, "peak_rss_bytes": peak}), flush=True)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
    return KernelRun(path.name, time.perf_counter() - start, peak, error)


def run_notebook(path: Path, env: dict[str, str], timeout_s: float) -> KernelRun:
    """Execute ``path`` in a child process with environment ``env``; stop it (kernel
    included) after ``timeout_s`` seconds, returning a run marked ``stopped``."""
    command = [sys.executable, "-m", "bench.memory", str(path), "--cell-timeout",
               str(max(1, int(timeout_s)))]
    start = time.perf_counter()
    done = run_process(command, env, timeout_s)
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if reports and "notebook" in reports[-1]:
        return KernelRun(**reports[-1])
    peak = reports[-1]["peak_rss_bytes"] if reports else None
    if done.returncode is None:
        return KernelRun(path.name, timeout_s, peak, f"stopped after {timeout_s:.0f} s "
                         f"({reports[-1]['cells_done'] if reports else 0} cells done)",
                         stopped=True)
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
    return KernelRun(path.name, time.perf_counter() - start, peak,
                     f"runner failed (exit {done.returncode}): {tail}")


def memory_section(peaks_gb: dict[str, float], mode: str) -> Section:
    """The RESULTS.md section: each notebook's peak kernel memory against the target."""
    checks = [TargetCheck(f"{name}, peak kernel memory ({mode} mode)", peak,
                          PEAK_MEMORY_TARGET_GB, "GB", higher_is_better=False)
              for name, peak in peaks_gb.items()]
    rows = [[name, f"{fmt(peak)} GB", f"<= {PEAK_MEMORY_TARGET_GB:.0f} GB"]
            for name, peak in peaks_gb.items()]
    text = ["Peak resident set size (`VmHWM`) of each notebook's kernel, the larger of its "
            f"cold-cache and warm-cache runs in {mode} mode (Python, PyTorch, data and models "
            "included; processes the kernel starts are not counted).", "",
            markdown_table(["notebook", "peak memory", "target"], rows)]
    return Section("Peak memory of a notebook kernel", "\n".join(text), checks)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--cell-timeout", type=float, default=600)
    args = parser.parse_args(argv)
    run = execute_here(args.notebook.resolve(), args.cell_timeout)
    print(json.dumps(asdict(run)))


if __name__ == "__main__":
    main()
