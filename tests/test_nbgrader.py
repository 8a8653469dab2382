"""make nbgrader: the graded round trip with nbgrader itself.

Two assignments, made of the exercises and the setup cell they need (tools/nbgrader_course.py's
default): notebook 01 (three coded exercises) and notebook 11 (three coded exercises and one
answered in words). nbgrader generates the students' version (no answer left, the notebooks'
stubs back), three students submit 01 (all right; some wrong; untouched) and two submit 11 (all
right; some wrong), nbgrader autogrades them with the hidden tests and writes their feedback.
One kernel per submission: about a minute on two free cores.
"""
from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import instructor.answers as answers
from genlib.exercises import EXERCISES

pytest.importorskip("nbgrader", reason="pip install -e '.[test]' (nbgrader is in the test extra)")
from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbgrader_course  # noqa: E402

NOTEBOOKS = [ROOT / "notebooks" / "01_gan_value_function.ipynb",
             ROOT / "notebooks" / "11_from_vae_to_diffusion.ipynb"]
WRONG = {  # bob's answers: a known mistake in each assignment, the rest right
    "01.1": "def my_optimal_discriminator(p_data_values, p_g_values):\n"
            "    return p_g_values / (p_data_values + p_g_values)",
    "11.2": "def my_tweedie_x0(x_t, score, alpha_bar_t):\n"
            "    return (x_t - (1 - alpha_bar_t) * score) / alpha_bar_t ** 0.5",
}


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent   # nbgrader runs `alembic` from the PATH
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "GENLIB_QUICK": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(bin_dir / "nbgrader"), *args, "--force"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _key(cell) -> str | None:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    match = re.fullmatch(r"ex(\d\d)_(\d+)_\w+", grade_id)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _submit(release: Path, target: Path, answer_for) -> None:
    """A student's copy of each released notebook, its stubs filled by ``answer_for(key)``."""
    target.mkdir(parents=True)
    for path in release.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            key = _key(cell)
            meta = cell.metadata.get("nbgrader", {})
            if key and meta.get("solution") and cell.cell_type == "code":
                cell.source = answer_for(key) or cell.source
            elif key and meta.get("solution"):
                cell.source = "The weights do not change the minimiser of each term."
        nbformat.write(nb, target / path.name)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    assert nbgrader_course.main(["--out", str(course), *map(str, NOTEBOOKS)]) == 0
    right = lambda key: inspect.getsource(getattr(answers, EXERCISES[key].name)).rstrip()  # noqa: E731
    for assignment, students in [("ps01", ["alice", "bob", "carol"]), ("ps11", ["alice", "bob"])]:
        _nbgrader(course, "generate_assignment", assignment)
        release = course / "release" / assignment
        fill = {"alice": right, "bob": lambda key: WRONG.get(key) or right(key),
                "carol": lambda key: None}
        for student in students:
            _submit(release, course / "submitted" / student / assignment, fill[student])
        _nbgrader(course, "autograde", assignment)
        _nbgrader(course, "generate_feedback", assignment)
    return course


def test_the_source_holds_solution_regions_hidden_tests_and_points(course):
    for path, number in [(NOTEBOOKS[0], "01"), (NOTEBOOKS[1], "11")]:
        nb = nbformat.read(course / "source" / f"ps{number}" / path.name, as_version=4)
        coded = [k for k, e in EXERCISES.items() if k[:2] == number and e.kind == "code"]
        solutions = [c for c in nb.cells if "### BEGIN SOLUTION" in c.source]
        tests = [c for c in nb.cells if "### BEGIN HIDDEN TESTS" in c.source]
        assert len(solutions) == len(tests) == len(coded)
        assert all(c.metadata["nbgrader"]["points"] >= 1 and c.metadata["nbgrader"]["locked"]
                   for c in tests)


def test_the_release_holds_no_answer_and_the_notebooks_stubs(course):
    for number, path in [("01", NOTEBOOKS[0]), ("11", NOTEBOOKS[1])]:
        text = (course / "release" / f"ps{number}" / path.name).read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        for key, exercise in EXERCISES.items():
            if key[:2] == number and exercise.kind == "code":
                body = inspect.getsource(getattr(answers, exercise.name)).splitlines()[1:]
                assert not [line for line in body if len(line.strip()) > 25
                            and line.strip() in text], key
        nb = nbformat.read(course / "release" / f"ps{number}" / path.name, as_version=4)
        stubs = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
                 and c.cell_type == "code"]
        assert stubs and all(s.endswith("    # your code here\n    raise ExerciseNotDone")
                             for s in stubs), stubs


@pytest.mark.parametrize("student, ps01, ps11", [("alice", 3, 3), ("bob", 2, 2), ("carol", 0, None)])
def test_autograde_gives_the_expected_scores(course, student, ps01, ps11):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert gradebook.find_submission("ps01", student).score == ps01
        if ps11 is not None:
            submission = gradebook.find_submission("ps11", student)
            assert submission.score == ps11   # 11.4, answered in words, waits for a person
            assert submission.needs_manual_grade and submission.max_score == 4


def test_feedback_is_written_with_the_verdicts(course):
    html = {(s, n): course / "feedback" / s / f"ps{n}" / p.with_suffix(".html").name
            for s, n, p in [("alice", "01", NOTEBOOKS[0]), ("bob", "01", NOTEBOOKS[0]),
                            ("carol", "01", NOTEBOOKS[0]), ("alice", "11", NOTEBOOKS[1]),
                            ("bob", "11", NOTEBOOKS[1])]}
    assert all(path.is_file() for path in html.values()), html
    bob = html["bob", "01"].read_text()
    assert "the probability that a point is generated" in bob   # 01.1's known mistake, named
    assert "not done yet" in html["carol", "01"].read_text()
    assert "score term has the wrong sign" in html["bob", "11"].read_text()


def test_make_nbgrader_runs_the_tool():
    target = (ROOT / "Makefile").read_text().split("\nnbgrader:", 1)[1].split("\n\n", 1)[0]
    assert "tools/nbgrader_course.py" in target
    assert "nbgrader/" in (ROOT / ".gitignore").read_text().splitlines()   # output, like handout/
