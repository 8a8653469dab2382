"""One source for the collection's run and study times.

``TIMES`` below is the only place the figures are written. ``python tools/run_times.py`` writes
them into each notebook's header (the paragraph that starts with ``**Run time``), into the map of
notebook 00 and into README.md (between ``<!-- run-times -->`` markers); ``--check`` says where
they differ. ``tests/test_run_times.py`` keeps every copy equal to ``TIMES`` and ``TIMES`` within
``TOLERANCE`` of the newest measurements in bench/RESULTS.md (``make bench``, ``python -m bench
--long`` for the cold runs).

Run times are for two CPU cores: *quick* is ``GENLIB_QUICK=1`` (what the test suite runs),
*first run* is full mode with an empty checkpoint cache (every model the notebook needs is
trained), *cached* is full mode after ``make pretrain`` or a first run. Study time is what a
student needs to read the notebook, run its checks and do its exercises.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
MAP_CELL_TITLE = "## 1. Map of the collection"
MARK = "<!-- run-times -->"

# A stated figure holds while the measurement is within this factor of it either way, or within
# SLACK_S seconds (short runs swing most on a shared two-core machine).
TOLERANCE = 2.0
SLACK_S = 30.0


@dataclass(frozen=True)
class Times:
    quick_s: float    # GENLIB_QUICK=1
    first_s: float    # full mode, empty checkpoint cache
    cached_s: float   # full mode, models cached
    study_h: float    # reading, checks and exercises


# quick_s first_s cached_s study_h, as the fields of Times above
TIMES = {name: Times(*map(float, figures)) for name, *figures in (line.split() for line in """
00_start_here                         10     15    15     1
01_gan_value_function                 15     30    30   2.5
02_gan_training_dynamics              20    300    30   2.5
03_dcgan_images                       20    480    20     2
04_wasserstein_gan                    20    480    30   2.5
05_vae_elbo                           15     30    30     3
06_vae_images                         30    540    45   2.5
07_beta_vae_and_conditional           20    540    15     2
08_gan_vs_vae                         30   1300   605     2
09_flows_and_adversarial_features     20    480    60   2.5
10_faq_and_pitfalls                   30    300    40     2
11_from_vae_to_diffusion              40    850    320    3
12_score_and_flow_matching            30   1030   360     3
""".strip().splitlines())}


def duration(seconds: float) -> str:
    """``seconds`` in words a reader scans: "15 s", "3 min", "1 min" (rounded)."""
    if seconds < 90:
        return f"{int(round(seconds))} s"
    return f"{int(round(seconds / 60))} min"


def hours(h: float) -> str:
    return f"{h:g} hour" + ("" if h == 1 else "s")


def header(t: Times) -> str:
    """The notebook header's run-time paragraph."""
    if t.first_s == t.cached_s:
        full = f"full mode about {duration(t.first_s)} (no models to cache)"
    else:
        full = (f"full mode about {duration(t.first_s)} the first time (it trains its models) and "
                f"about {duration(t.cached_s)} once they are cached (`make pretrain` trains them in "
                f"advance)")
    return (f"**Run time** on two CPU cores: quick mode (`GENLIB_QUICK=1`) about "
            f"{duration(t.quick_s)}; {full}. A GPU is used when there is one. "
            f"**Study time:** about {hours(t.study_h)}.")


def table() -> str:
    """The run-time table of notebook 00's map and of README.md."""
    rows = ["| notebook | quick mode | full mode, first run | full mode, cached | study time |",
            "| --- | --- | --- | --- | --- |"]
    for name, t in TIMES.items():
        rows.append(f"| `{name}` | {duration(t.quick_s)} | {duration(t.first_s)} | "
                    f"{duration(t.cached_s)} | {hours(t.study_h)} |")
    total = sum(t.study_h for t in TIMES.values())
    rows.append(f"| all | {duration(sum(t.quick_s for t in TIMES.values()))} | "
                f"{duration(sum(t.first_s for t in TIMES.values()))} | "
                f"{duration(sum(t.cached_s for t in TIMES.values()))} | {hours(total)} |")
    return "\n".join(rows)


HEADER_PARAGRAPH = re.compile(r"^\*\*(Expected run time|Run time)\b.*?(?=\n\s*\n|\Z)", re.S | re.M)
MARKED = re.compile(re.escape(MARK) + r".*?" + re.escape(MARK), re.S)


def marked_table() -> str:
    return f"{MARK}\n{table()}\n{MARK}"


def updated_header(source: str, name: str) -> str:
    if not HEADER_PARAGRAPH.search(source):
        raise ValueError(f"{name}: the first cell has no paragraph starting with **Run time**")
    return HEADER_PARAGRAPH.sub(lambda m: header(TIMES[name]), source, count=1)


def updated_marked(source: str, where: str) -> str:
    if not MARKED.search(source):
        raise ValueError(f"{where}: no table between two {MARK} markers")
    return MARKED.sub(lambda m: marked_table(), source, count=1)


def map_cell(nb) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.startswith(MAP_CELL_TITLE):
            return i
    raise ValueError(f"00_start_here: no markdown cell starting with {MAP_CELL_TITLE!r}")


def sync(write: bool) -> list[str]:
    """Bring every copy in line with TIMES (``write``) or list the copies that differ."""
    differ = []
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if sorted(p.stem for p in paths) != sorted(TIMES):
        differ.append(f"TIMES lists {sorted(TIMES)}, notebooks/ holds {[p.stem for p in paths]}")
    for path in paths:
        if path.stem not in TIMES:
            continue
        nb = nbformat.read(path, as_version=4)
        cells = [0] + ([map_cell(nb)] if path.stem == "00_start_here" else [])
        changed = False
        for i in cells:
            old = nb.cells[i].source
            new = updated_header(old, path.stem) if i == 0 else updated_marked(old, path.name)
            if new != old:
                differ.append(f"{path.name} cell {i}")
                nb.cells[i].source, changed = new, True
        if write and changed:
            nbformat.write(nb, path)
    old = README.read_text()
    new = updated_marked(old, "README.md")
    if new != old:
        differ.append("README.md")
        if write:
            README.write_text(new)
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say which copies differ")
    args = parser.parse_args(argv)
    differ = sync(write=not args.check)
    for line in differ:
        print(("differs: " if args.check else "updated: ") + line)
    return 1 if (args.check and differ) else 0


if __name__ == "__main__":
    sys.exit(main())
