"""``python -m bench``: measure the collection and update ``bench/RESULTS.md``.

Parts (``--only`` picks some; each replaces its own part of RESULTS.md and leaves the others,
which keep the date and commit they were measured at):

* ``throughput``  every family's training images/s, this checkout against ``--before REV``
* ``widgets``     slider latency (``bench/bench_widgets.py``)
* ``notebooks``   nbval in quick mode; each notebook in full mode with the cache warm, or with
                  ``--cold`` from an empty cache (every model trained first)
* ``hub``         a class on one JupyterHub: N students run notebook 03 at once from one
                  read-only shared cache (``bench/hub.py``; only when asked for with
                  ``--only hub``, as it needs the ``hub`` extra and configurable-http-proxy)

``make bench`` runs ``OMP_WAIT_POLICY=PASSIVE GENLIB_QUICK=0 python -m bench`` after
``make pretrain``; ``--quick`` is the harness's smoke run (tiny chunks, a three-cell notebook),
written to a temporary file unless ``--output`` says otherwise.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from . import ROOT, Section, markdown_table, run_process, stop_running_processes
from . import notebooks, throughput

PARTS = ("throughput", "widgets", "notebooks", "hub")
DEFAULT_PARTS = ("throughput", "widgets", "notebooks")
RESULTS = ROOT / "bench" / "RESULTS.md"
PART = re.compile(r"<!-- part: (?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- end of part -->\n",
                  re.DOTALL)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
        return rev + (" with uncommitted changes" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(command: str, load_start: tuple, seconds: float) -> str:
    """The line under each part's heading: what ran, when, where, at which commit."""
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load = ", ".join(f"{x:.2f}" for x in load_start)
    return (f"*`{command}`, {now}, commit {git_revision()}; {cpu_model()}, {os.cpu_count()} "
            f"cores, torch {torch.__version__} ({torch.get_num_threads()} threads), load average "
            f"{load} at the start; {seconds / 60:.1f} min.*")


def render_part(name: str, sections: list[Section], line: str) -> str:
    checks = [c for s in sections for c in s.checks]
    text = [f"<!-- part: {name} -->", line, ""]
    if checks:
        text += [markdown_table(["figure", "measured", "target", "ratio", "verdict"],
                                [c.row() for c in checks]), ""]
    for section in sections:
        text += [f"### {section.title}", "", section.markdown, ""]
    return "\n".join(text) + "<!-- end of part -->\n"


def update_results(path: Path, parts: dict[str, str]) -> None:
    """Replace (or append) the named parts of RESULTS.md, keeping every other part as it was."""
    old = path.read_text() if path.exists() else ""
    kept = {m["name"]: m.group(0) for m in PART.finditer(old)}
    kept.update(parts)
    order = [p for p in PARTS if p in kept] + [p for p in kept if p not in PARTS]
    text = ["# Benchmark results", "",
            "Written by `python -m bench` (`make bench`), one part per measurement; each part "
            "says when and at which commit it was measured. Benchmarks, not timed tests: the "
            "machines are shared, so figures are medians over repeats and comparisons are "
            "ratios measured in the same run.", ""]
    text += [kept[name] for name in order]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(text))
    tmp.replace(path)


def widgets_section(quick: bool, timeout_s: float) -> Section:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, str(ROOT / "bench" / "bench_widgets.py")] + (["--quick"] if quick else [])
    result = run_process(command, env, timeout_s)
    body = result.stdout.strip() or f"(no output; exit {result.returncode})\n\n{result.stderr[-2000:]}"
    return Section("Slider latency", body, [])


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the harness's smoke run")
    parser.add_argument("--output", type=Path, default=None, help="default bench/RESULTS.md "
                        "(a temporary file with --quick)")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(DEFAULT_PARTS))
    parser.add_argument("--before", default=throughput.BEFORE,
                        help="the commit the throughput is compared with")
    parser.add_argument("--cold", action="store_true",
                        help="notebooks in full mode from an empty checkpoint cache")
    parser.add_argument("--notebooks", nargs="+", default=None, metavar="NN",
                        help="only the notebooks whose names start with these prefixes")
    parser.add_argument("--budget-minutes", type=float, default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, stop_running_processes)
    signal.signal(signal.SIGINT, stop_running_processes)
    output = args.output or (Path(tempfile.gettempdir()) / "genlib-bench-quick.md"
                             if args.quick else RESULTS)
    deadline = time.monotonic() + 60 * (args.budget_minutes or (10 if args.quick else 240))
    command = " ".join(["python -m bench"] + (argv if argv is not None else sys.argv[1:]))
    parts = {}
    for name in args.only:
        start, load = time.monotonic(), os.getloadavg()
        print(f"[bench] {name}", file=sys.stderr, flush=True)
        if name == "throughput":
            sections = [throughput.measure(args.before, repeats=2 if args.quick else 7,
                                           steps=4 if args.quick else 40)]
        elif name == "widgets":
            sections = [widgets_section(args.quick, 120 if args.quick else 1200)]
        elif name == "hub":
            from . import hub
            sections = [hub.measure(users=2 if args.quick else 8)]
        else:
            key = "notebooks-cold" if args.cold else "notebooks"
            sections = notebooks.measure(args.quick, deadline, args.cold, args.notebooks)
            name = key + (f"-{'-'.join(args.notebooks)}" if args.notebooks else "")
        parts[name] = render_part(name, sections, provenance(command, load,
                                                             time.monotonic() - start))
    update_results(output, parts)
    print(f"[bench] wrote {output}", file=sys.stderr)
    return output


if __name__ == "__main__":
    main()
