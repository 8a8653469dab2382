"""Write an nbgrader course folder from the notebooks, for graded work: ``make nbgrader``, or

    python tools/nbgrader_course.py [--out nbgrader] [--whole-notebooks] [--keep-hints] [NB ...]

Instructor-only (it reads the worked answers in ``instructor/``). One assignment per notebook,
``source/psNN/NN_name.ipynb``, and ``nbgrader_config.py``. In each assignment:

* every coded exercise's stub becomes a **solution cell**: the worked answer's body (from
  ``instructor/answers.py``) between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, which
  ``nbgrader generate_assignment`` turns back into the stub students know
  (``# your code here`` / ``raise ExerciseNotDone``);
* a bug of notebook 10 keeps its broken step, read-only, and gets a solution cell under it for
  the fixed step;
* every check cell becomes a locked **autograded test cell** worth ``POINTS[key]``: the visible
  check prints the verdict (the student's feedback), and a hidden test, between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, asserts it;
* every "(think)" exercise gets a **manually graded** Markdown answer cell (its source: the
  instructor's answer in words, from ``instructor/answer_blocks.md``).

By default an assignment holds the notebook's setup cell and its exercises only (the headings,
stubs, checks and hints), so that autograding a class takes seconds per student; a check's
notebook context (06.2's trained model) is then left out, and the check uses its own probe
model. ``--whole-notebooks`` keeps every cell (autograding then re-runs the notebook: give the
graders the shared pretrained cache and set ``GENLIB_QUICK`` as you want it). Hints are
removed unless ``--keep-hints``; outputs are cleared.

Then, in the course folder: ``nbgrader generate_assignment ps01``, hand out ``release/ps01``,
collect the students' copies into ``submitted/STUDENT/ps01/``, ``nbgrader autograde ps01``,
``nbgrader generate_feedback ps01``, ``nbgrader export``.
"""
from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
from genlib.exercises import EXERCISES  # noqa: E402
from handout import folded_block  # noqa: E402
from instructor.build import answer_blocks, answer_source  # noqa: E402

POINTS = {"04.2": 2, "06.2": 2}   # every other exercise: 1 point
STUB = "# your code here\nraise ExerciseNotDone"
HEADING = re.compile(r"^### (Exercise|Bug) (\d+)( \(think\))?", re.M)
STUB_LINE = re.compile(r"^\s*(# your code here.*|raise ExerciseNotDone)\s*$")
CONFIG = f'''# nbgrader's settings for the genlib course (written by tools/nbgrader_course.py)
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "genlib"
# the released stub is the one the notebooks use
c.ClearSolutions.code_stub = {{"python": {STUB!r}}}
c.ClearSolutions.text_stub = "Your answer here."
# each cell may take this long (a bug's check trains for a few seconds; whole notebooks longer)
c.Execute.timeout = 600
c.ExecutePreprocessor.timeout = 600
'''


def points(key: str) -> int:
    return POINTS.get(key, 1)


def _metadata(grade_id: str, *, solution: bool, grade: bool, locked: bool, score: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = score
    return meta


def solution_source(stub: str, name: str) -> str:
    """The stub cell with its stub lines replaced by the worked answer's body in a solution
    region (the stub's own ``def`` line, comments and imports kept)."""
    body = answer_source(name).split("\n")[1:]
    lines, out, replaced = stub.split("\n"), [], False
    for line in lines:
        if STUB_LINE.match(line):
            if not replaced:
                indent = re.match(r"\s*", line).group(0)
                out += [f"{indent}### BEGIN SOLUTION", *body, f"{indent}### END SOLUTION"]
                replaced = True
            continue
        out.append(line)
    if not replaced:
        raise ValueError(f"the stub of {name} has no `raise ExerciseNotDone` to replace")
    return "\n".join(out)


def fixed_step_source(name: str) -> str:
    """A solution cell for a bug: the fixed step's body in a solution region."""
    source = answer_source(name).split("\n")
    return "\n".join(["# the step above, fixed", source[0], "    ### BEGIN SOLUTION", *source[1:],
                      "    ### END SOLUTION"])


def test_source(check_cell: str, key: str, name: str) -> str:
    """The check, visible, and the same check asserted in a hidden test."""
    visible = check_cell.strip()
    task = re.search(r'check_fix\(\w+, "(\w+)"', check_cell)
    call = (f'check_fix({name}, "{task.group(1)}", quiet=True)' if task
            else f'check("{key}", {name}, quiet=True)')
    return (f"{visible}\n### BEGIN HIDDEN TESTS\n"
            f"assert {call}, \"{key}: not right yet (the verdict above says why)\"\n"
            "### END HIDDEN TESTS")


def _without_context(check_cell: str) -> str:
    """``check("06.2", f, vae=model, x=x);`` -> ``check("06.2", f);``"""
    return re.sub(r'(check\("[\d.]+", \w+)(, \w+=[^)]*)\)', r"\1)", check_cell)


def assignment(nb: nbformat.NotebookNode, number: str, whole: bool = False,
               keep_hints: bool = False) -> nbformat.NotebookNode:
    """Notebook ``number`` as an nbgrader source notebook (module docstring)."""
    blocks = answer_blocks()
    hint = folded_block("Hint")
    cells, key, setup_seen = [], None, False
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        match = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if match:
            key = f"{number}.{match.group(2)}"
            start = cell.source.find(match.group(0))   # the section's text before the heading
            cell.source = cell.source if whole else cell.source[start:]
        elif cell.cell_type == "markdown" and re.match(r"#{1,2} ", cell.source):
            key = None   # a new section: the exercises are over
        exercise = EXERCISES.get(key) if key else None
        in_exercise = exercise is not None and (match or cell.cell_type == "code"
                                                or "<details>" in cell.source)
        is_setup = cell.cell_type == "code" and not setup_seen
        if not (whole or in_exercise or is_setup):
            continue
        setup_seen = setup_seen or cell.cell_type == "code"
        if cell.cell_type == "markdown" and not keep_hints:
            cell.source = hint.sub("", cell.source).rstrip()
        if exercise is not None and cell.cell_type == "code":
            cell = _graded(cell, exercise, key, whole, cells)
        if cell is not None and cell.source.strip():
            cells.append(cell)
        if (exercise is not None and exercise.kind == "think" and cell is not None
                and cell.cell_type == "markdown" and match):
            cells.append(_think_cell(key, blocks[key].markdown))
    out = copy.deepcopy(nb)
    out.cells = cells
    out.metadata.pop("widgets", None)
    return out


def _graded(cell, exercise, key: str, whole: bool, cells: list):
    grade_id = "ex" + key.replace(".", "_")
    if re.search(r"\bcheck(_fix)?\(", cell.source):
        source = cell.source if whole else _without_context(cell.source)
        cell.source = test_source(source, key, exercise.name)
        cell.metadata["nbgrader"] = _metadata(f"{grade_id}_test", solution=False, grade=True,
                                              locked=True, score=points(key))
        return cell
    if not re.search(rf"^def {exercise.name}\(", cell.source, re.M):
        return cell
    if exercise.kind == "fix":   # the broken step stays, read-only; the fix goes below it
        cell.metadata["nbgrader"] = _metadata(f"{grade_id}_given", solution=False, grade=False,
                                              locked=True)
        cells.append(cell)
        fixed = nbformat.v4.new_code_cell(fixed_step_source(exercise.name))
        fixed.metadata["nbgrader"] = _metadata(f"{grade_id}_solution", solution=True,
                                               grade=False, locked=False)
        return fixed
    source = cell.source if whole else _function_only(cell.source, exercise.name)
    cell.source = solution_source(source, exercise.name)
    cell.metadata["nbgrader"] = _metadata(f"{grade_id}_solution", solution=True, grade=False,
                                          locked=False)
    return cell


def _function_only(source: str, name: str) -> str:
    """The stub cell's ``def name(...)`` alone: the rest may use the notebook's variables."""
    (node,) = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name]
    return "\n".join(source.split("\n")[node.lineno - 1:node.end_lineno])


def _think_cell(key: str, answer_markdown: str):
    text = re.sub(r"</?details>|<summary>Answer</summary>", "", answer_markdown).strip()
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["nbgrader"] = _metadata("ex" + key.replace(".", "_") + "_answer",
                                          solution=True, grade=True, locked=False,
                                          score=points(key))
    return cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to turn into assignments (default: every notebook with "
                             "an exercise)")
    parser.add_argument("--out", type=Path, default=ROOT / "nbgrader",
                        help="the course folder (default: nbgrader/ in the repository)")
    parser.add_argument("--whole-notebooks", action="store_true",
                        help="keep every cell, not only the setup and the exercises")
    parser.add_argument("--keep-hints", action="store_true", help="keep the folded hints")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    paths = [p for p in paths if any(k[:2] == p.name[:2] for k in EXERCISES)]
    if not paths:
        parser.error("no notebook with an exercise: pass notebooks/NN_name.ipynb paths")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nbgrader_config.py").write_text(CONFIG)
    total = 0
    for path in paths:
        number = path.name[:2]
        nb = assignment(nbformat.read(path, as_version=4), number, args.whole_notebooks,
                        args.keep_hints)
        nbformat.validate(nb)
        folder = args.out / "source" / f"ps{number}"
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / path.name)
        total += sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells)
    print(f"{len(paths)} assignments ({total} points) written to {args.out / 'source'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
