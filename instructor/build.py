"""The instructor's copy of the notebooks: ``make instructor``, or

    python -m instructor.build [--out instructor/notebooks] [notebooks/NN_name.ipynb ...]

The committed notebooks hold no worked answer. This puts every exercise's folded Answer block
back, from one source each: the prose of ``instructor/answer_blocks.md`` (one section per
exercise, naming the notebook cell the block follows) and, for a coded exercise, the source of
its function in ``instructor/answers.py``, written where the section says ``{{ answer: NAME }}``.
Nothing else changes (outputs and cell ids are kept). The output folder is git-ignored.
"""
from __future__ import annotations

import argparse
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import answers

ROOT = Path(__file__).resolve().parents[1]
BLOCKS_FILE = Path(__file__).resolve().with_name("answer_blocks.md")
SECTION = re.compile(r"^## (\d\d\.\d+) · cell (\S+)$", re.M)
PLACEHOLDER = re.compile(r"\{\{ answer: (\w+) \}\}")


@dataclass(frozen=True)
class AnswerBlock:
    """One exercise's folded Answer block: the notebook cell it follows and its Markdown."""
    key: str
    cell_id: str
    markdown: str
    function: str = ""   # the answer function shown in it ("" for an answer in words)


def answer_source(name: str) -> str:
    """The source of ``instructor/answers.py``'s function ``name``, as the notebooks show it."""
    function = getattr(answers, name, None)
    if not callable(function):
        raise ValueError(f"name {name!r} is not a function of instructor/answers.py: fix "
                         f"{BLOCKS_FILE.name} or add the function")
    return inspect.getsource(function).rstrip()


def answer_blocks(path: Path = BLOCKS_FILE) -> dict[str, AnswerBlock]:
    """Every Answer block of ``answer_blocks.md``, keyed by exercise ("01.2"), code filled in."""
    text = path.read_text()
    parts = SECTION.split(text)
    blocks = {}
    for key, cell_id, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        names = PLACEHOLDER.findall(body)
        markdown = PLACEHOLDER.sub(lambda m: f"```python\n{answer_source(m.group(1))}\n```", body)
        if key in blocks:
            raise ValueError(f"{path.name}: exercise {key} has two sections")
        blocks[key] = AnswerBlock(key, cell_id, markdown.strip(), names[0] if names else "")
    return blocks


def with_answers(nb: nbformat.NotebookNode, number: str,
                 blocks: dict[str, AnswerBlock] | None = None) -> nbformat.NotebookNode:
    """Notebook ``number`` ("05") with its Answer blocks appended to the cells they follow."""
    blocks = answer_blocks() if blocks is None else blocks
    cells = {cell.get("id"): cell for cell in nb.cells}
    for block in blocks.values():
        if block.key[:2] != number:
            continue
        cell = cells.get(block.cell_id)
        if cell is None or cell.cell_type != "markdown":
            raise ValueError(f"exercise {block.key}: notebook {number} has no markdown cell "
                             f"{block.cell_id!r}; fix the section's cell id in {BLOCKS_FILE.name}")
        if "<summary>Answer</summary>" in cell.source:
            raise ValueError(f"exercise {block.key}: cell {block.cell_id} already holds an Answer "
                             "block; the notebooks must not (remove it there)")
        cell.source = cell.source.rstrip() + "\n\n" + block.markdown
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to copy (default: every notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "instructor" / "notebooks",
                        help="folder for the copies (default: instructor/notebooks)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks found: pass their paths")
    blocks = answer_blocks()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = with_answers(nbformat.read(path, as_version=4), path.name[:2], blocks)
        nbformat.validate(nb)
        nbformat.write(nb, args.out / path.name)
    print(f"{len(paths)} notebooks with their Answer blocks written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
