"""Write a copy of the notebooks to hand out to a class: ``make handout``, or

    python tools/handout.py [--out handout] [--keep-hints] [notebooks/NN_name.ipynb ...]

The committed notebooks hold no worked answers (those are in ``instructor/``: ``make instructor``
puts them back in a copy, ``make nbgrader`` makes a graded course). Every folded ``Hint`` block
is removed unless ``--keep-hints``, and any folded ``Answer`` block too (so that the instructor's
copy can be handed out the same way); a markdown cell left empty is dropped. Every
output, execution count and saved widget state is cleared, so the copy shows no results either:
the students run it. Everything else is kept as it is, cell ids included: the exercise stubs
(``raise ExerciseNotDone``) and the self-checks under them, so a student still gets a verdict.
The notebooks install genlib from the repository above ``--out`` (or from its address), as the
originals do.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def folded_block(summary: str) -> re.Pattern:
    """A ``<details>`` block whose summary starts with ``summary``, and the blank lines after it."""
    return re.compile(rf"<details>\s*<summary>\s*{summary}\b.*?</details>[ \t]*\n?\s*",
                      re.DOTALL | re.IGNORECASE)


def handout(nb: nbformat.NotebookNode, keep_hints: bool = False) -> nbformat.NotebookNode:
    """The notebook without its answers (and hints) and without outputs."""
    patterns = [folded_block("Answer")] + ([] if keep_hints else [folded_block("Hint")])
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            source = cell.source
            for pattern in patterns:
                source = pattern.sub("", source)
            if not source.strip():
                continue
            if source != cell.source:   # a cell without folded blocks is kept as it is
                cell.source = source.rstrip()
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to copy (default: every notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "handout",
                        help="folder for the copies (default: handout/ in the repository)")
    parser.add_argument("--keep-hints", action="store_true", help="keep the folded hints")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks found: pass their paths")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = handout(nbformat.read(path, as_version=4), keep_hints=args.keep_hints)
        nbformat.validate(nb)
        nbformat.write(nb, args.out / path.name)
    what = "answers" if args.keep_hints else "answers, hints"
    print(f"{len(paths)} notebooks without {what} or outputs written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
