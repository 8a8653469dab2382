"""``python -m bench``: measure the collection and update ``bench/RESULTS.md``, each part
(``--only``) replacing its own; ``--quick`` is the harness's smoke run (tiny chunks, a three-cell
notebook), written to a temporary file unless ``--output``."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import RESULTS, Section, notebooks, provenance, run_process, stop_running_processes
from . import throughput, write_part

PARTS = ("throughput", "widgets", "notebooks")


def widgets_section(quick: bool, timeout_s: float) -> Section:
    command = [sys.executable, "-m", "bench.bench_widgets"] + (["--quick"] * quick)
    result = run_process(command, dict(os.environ), timeout_s)
    body = result.stdout.strip() or f"(no output; exit {result.returncode})\n\n{result.stderr[-2000:]}"
    return Section("Slider latency", body)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the harness's smoke run")
    parser.add_argument("--output", type=Path, default=None,
                        help="default bench/RESULTS.md (a temporary file with --quick)")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
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
    for name in args.only:
        start, load = time.monotonic(), os.getloadavg()
        print(f"[bench] {name}", file=sys.stderr, flush=True)
        if name == "throughput":
            sections = [throughput.measure(args.before, repeats=2 if args.quick else 7,
                                           steps=4 if args.quick else 40)]
        elif name == "widgets":
            sections = [widgets_section(args.quick, 120 if args.quick else 1200)]
        else:
            sections = notebooks.measure(args.quick, deadline, args.cold, args.notebooks)
            name = ("notebooks-cold" if args.cold else "notebooks") + \
                (f"-{'-'.join(args.notebooks)}" if args.notebooks else "")
        write_part(name, sections, provenance(command, load, time.monotonic() - start), output)
    print(f"[bench] wrote {output}", file=sys.stderr)
    return output


if __name__ == "__main__":
    main()
