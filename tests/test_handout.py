"""make handout: a copy of every notebook without hints or outputs, with its stubs and checks; a
copy of the instructor's notebooks (make instructor) loses its answers the same way."""
from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import nbformat
import pytest

import instructor.answers as answers
from genlib.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import handout  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout")
    assert handout.main(["--out", str(out)]) == 0
    return out


def test_make_handout_runs_the_script():
    target = (ROOT / "Makefile").read_text().split("\nhandout:", 1)[1].split("\n\n", 1)[0]
    assert "tools/handout.py --out handout" in target
    assert "make handout" in (ROOT / "README.md").read_text()
    assert "make instructor" in (ROOT / "README.md").read_text()
    assert "instructor/notebooks/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "handout/" in (ROOT / ".gitignore").read_text().splitlines()


def test_every_notebook_is_copied_without_answers_hints_or_outputs(copies):
    assert sorted(p.name for p in copies.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    for path in sorted(copies.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        text = "\n".join(cell.source for cell in nb.cells)
        assert not re.search(r"<summary>\s*(Answer|Hint)", text), path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
            assert cell.source.strip(), f"{path.name}: an empty cell is left"
        assert "widgets" not in nb.metadata


def test_no_answer_code_is_left_and_every_exercise_still_is(copies):
    text = "\n".join(cell.source for path in sorted(copies.glob("*.ipynb"))
                     for cell in nbformat.read(path, as_version=4).cells)
    for key, exercise in EXERCISES.items():
        heading = "### Bug " if exercise.kind == "fix" else "### Exercise "
        assert f"{heading}{key[3:]}" in text, key
        if exercise.kind == "code":
            body = inspect.getsource(getattr(answers, exercise.name)).splitlines()[1:]
            assert not [line for line in body if len(line.strip()) > 25 and line in text], key
            assert f'check("{key}", {exercise.name}' in text, key
    assert text.count("raise ExerciseNotDone") >= sum(e.kind == "code" for e in EXERCISES.values())


def test_the_rest_of_each_notebook_is_unchanged(copies):
    for path in NOTEBOOKS:
        original = nbformat.read(path, as_version=4)
        copy = nbformat.read(copies / path.name, as_version=4)
        kept = {cell.id: cell.source for cell in copy.cells}
        for cell in original.cells:
            if "<details>" not in cell.source:
                assert kept[cell.id] == cell.source, (path.name, cell.id)


def test_the_instructors_copy_is_handed_out_without_its_answers(tmp_path):
    from instructor.build import main as build
    assert build(["--out", str(tmp_path / "instructor"), str(NOTEBOOKS[1])]) == 0
    (built,) = (tmp_path / "instructor").glob("*.ipynb")
    assert "<summary>Answer</summary>" in built.read_text()
    handout.main(["--out", str(tmp_path / "out"), str(built)])
    (path,) = (tmp_path / "out").glob("*.ipynb")
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "<summary>" not in text and 'check("01.1", my_optimal_discriminator' in text


def test_hints_can_be_kept(tmp_path):
    handout.main(["--keep-hints", "--out", str(tmp_path), str(NOTEBOOKS[0])])
    (path,) = tmp_path.glob("*.ipynb")
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "<summary>Hint</summary>" in text and "<summary>Answer</summary>" not in text
