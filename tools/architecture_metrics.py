"""Three sizes of the house, for docs/architecture.md.

``python tools/architecture_metrics.py`` prints

(a) genlib's lines that the notebooks teach with (``genlib/objectives``, ``models``, ``steps``,
    ``metrics``) against its machinery (every other ``.py`` file under ``genlib/``, except the
    package's own ``genlib/__init__.py``), and their ratio. A line is a line of the file, blank
    and comment lines included (``wc -l``): the rule that gives 2,622 against 5,955 at c1d77f3;
(b) the pairs ``duplicates --most 200`` lists over the whole tree (the number on its first
    line: each row is one pair of places sharing six or more lines);
(c) the lines of Python in ``bench/`` (``wc -l``).

``--no-duplicates`` leaves out (b), which takes up to ``--seconds`` seconds.
"""
from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what the notebooks teach: the review's four folders, the samplers (in models/ until they moved
# to sampling.py) and notebook 10's broken steps (collected from its cells, like steps/)
TAUGHT = ("objectives", "models", "steps", "metrics", "sampling.py", "broken_steps.py")


def python_lines(folder: Path) -> int:
    """Lines (blank ones included) of every ``.py`` file below ``folder`` (or of the file)."""
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.py"))
    return sum(len(p.read_text().splitlines()) for p in files)


def taught_and_machinery(genlib: Path) -> tuple[int, int]:
    """``(taught, machinery)`` lines of the package at ``genlib``."""
    taught = sum(python_lines(genlib / name) for name in TAUGHT if (genlib / name).exists())
    top = genlib / "__init__.py"
    package = python_lines(genlib) - (len(top.read_text().splitlines()) if top.exists() else 0)
    return taught, package - taught


def duplicate_pairs(root: Path, seconds: int = 120) -> int:
    """The number of pairs ``duplicates`` reports over ``root`` (0 when it finds none)."""
    done = subprocess.run(["duplicates", "--most", "200", "--seconds", str(seconds)], cwd=root,
                          capture_output=True, text=True, check=True)
    first = done.stdout.splitlines()[0] if done.stdout else ""
    if "incomplete" in done.stdout:
        raise RuntimeError(f"duplicates did not finish: {done.stdout[-500:]}")
    found = re.match(r"(\d+) pairs? ", first)
    return int(found.group(1)) if found else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--no-duplicates", action="store_true")
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args(argv)
    taught, machinery = taught_and_machinery(args.root / "genlib")
    print(f"genlib, lines of .py files (wc -l): taught ({', '.join(TAUGHT)}) {taught:,}; "
          f"machinery (the rest, less genlib/__init__.py) {machinery:,}; "
          f"machinery / taught {machinery / taught:.2f}")
    if not args.no_duplicates:
        print(f"duplicates --most 200 over the tree: {duplicate_pairs(args.root, args.seconds)} pairs")
    print(f"bench/, lines of .py files (wc -l): {python_lines(args.root / 'bench'):,}")


if __name__ == "__main__":
    main()
