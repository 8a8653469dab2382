"""The course plan (docs/course.md): its references to the notebooks, and its run-time figures.

The plan names notebooks, sections and exercises as Markdown links to the notebook, so a reader
can click them and a test can check them:

* ``[03_dcgan_images](../notebooks/03_dcgan_images.ipynb)``: a notebook;
* ``[§ 2 Training (once, then cached)](../notebooks/03_dcgan_images.ipynb)``: a section, by its
  heading's text (what follows the ``#`` marks);
* ``[Exercise 1 · Spherical interpolation](../notebooks/03_dcgan_images.ipynb)``: an exercise, by
  its whole heading (``Exercise N (think) · ...`` for a question answered in words, ``Bug N · ...``
  in notebook 10).

Run-time figures are never typed: ``<!-- run-times 03_dcgan_images -->...<!-- /run-times -->``
holds what :func:`times_text` writes from ``tools/run_times.py``'s ``TIMES`` (for several
notebooks, their sums). ``python tools/course_plan.py`` rewrites them; ``--check`` lists those that differ.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_times  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "docs" / "course.md"
NOTEBOOKS = ROOT / "notebooks"

LINK = re.compile(r"\[([^\]\n]+)\]\(\.\./notebooks/([^)\s]+)\.ipynb\)")
EXERCISE = re.compile(r"^(Exercise|Bug) (\d+)( \(think\))? · ")
HEADING = re.compile(r"^#{1,4} (.+?)\s*$", re.M)
TIMES = re.compile(r"<!-- run-times ([\w ]+?) -->(.*?)<!-- /run-times -->", re.S)


@dataclass(frozen=True)
class Reference:
    """One link of the plan to a notebook: ``kind`` is notebook, section or exercise."""
    kind: str
    notebook: str
    text: str


def references(plan: str) -> list[Reference]:
    """Every link of the plan to a notebook, in order."""
    found = []
    for text, notebook in LINK.findall(plan):
        if text.startswith("§ "):
            found.append(Reference("section", notebook, text[2:]))
        elif EXERCISE.match(text):
            found.append(Reference("exercise", notebook, text))
        else:
            found.append(Reference("notebook", notebook, text))
    return found


def headings(path: Path) -> list[str]:
    """The text of every Markdown heading of a notebook, in order."""
    nb = nbformat.read(path, as_version=4)
    return [h for cell in nb.cells if cell.cell_type == "markdown"
            for h in HEADING.findall(cell.source)]


def exercises(path: Path) -> list[str]:
    """A notebook's exercise headings (without the ``###``)."""
    return [h for h in headings(path) if EXERCISE.match(h)]


def is_think(exercise: str) -> bool:
    return EXERCISE.match(exercise).group(3) is not None


def times_text(names: list[str]) -> str:
    """The figures a session quotes for its notebooks, from run_times.TIMES."""
    unknown = [n for n in names if n not in run_times.TIMES]
    if unknown:
        raise ValueError(f"run-times marker names {unknown}, not notebooks of "
                         f"tools/run_times.py's TIMES: {sorted(run_times.TIMES)}")
    d, chosen = run_times.duration, [run_times.TIMES[n] for n in names]
    which = (f"`{names[0][:2]}`" if len(names) == 1 else
             ", ".join(f"`{n[:2]}`" for n in names[:-1]) + f" and `{names[-1][:2]}` together")
    return (f"{which}: cached {d(sum(t.cached_s for t in chosen))}, first run "
            f"{d(sum(t.first_s for t in chosen))}, quick mode {d(sum(t.quick_s for t in chosen))}; "
            f"study {run_times.hours(sum(t.study_h for t in chosen))}")


def updated(plan: str) -> str:
    return TIMES.sub(lambda m: f"<!-- run-times {m.group(1)} -->{times_text(m.group(1).split())}"
                               f"<!-- /run-times -->", plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether figures differ")
    args = parser.parse_args(argv)
    old = PLAN.read_text()
    new = updated(old)
    if new != old:
        print(("differs: " if args.check else "updated: ") + str(PLAN.relative_to(ROOT)))
        if not args.check:
            PLAN.write_text(new)
    return 1 if (args.check and new != old) else 0


if __name__ == "__main__":
    sys.exit(main())
