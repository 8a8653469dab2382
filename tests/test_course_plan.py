"""docs/course.md, the six-week course plan: every notebook, section and exercise it names exists
in the notebooks, every coded exercise is set at least once, every exercise answered in words has
a model answer, and its run-time figures are tools/run_times.py's."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course_plan  # noqa: E402

PLAN = course_plan.PLAN.read_text()
NOTEBOOKS = {p.stem: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
HEADINGS = {stem: course_plan.headings(path) for stem, path in NOTEBOOKS.items()}
EXERCISES = {stem: course_plan.exercises(path) for stem, path in NOTEBOOKS.items()}
REFERENCES = course_plan.references(PLAN)
SESSION = re.compile(r"^### Session (\d+) · ", re.M)


def test_the_plan_is_parsed_into_references():
    kinds = {r.kind for r in REFERENCES}
    assert kinds == {"notebook", "section", "exercise"}, kinds
    assert len(REFERENCES) > 100


def test_every_link_points_at_a_notebook_of_the_collection():
    unknown = sorted({r.notebook for r in REFERENCES} - set(NOTEBOOKS))
    assert not unknown, unknown
    for r in REFERENCES:
        if r.kind == "notebook":
            assert r.text == r.notebook, r


def test_every_section_named_is_a_heading_of_its_notebook():
    missing = [f"{r.notebook}: {r.text!r}" for r in REFERENCES
               if r.kind == "section" and r.text not in HEADINGS[r.notebook]]
    assert not missing, "sections not in the notebooks:\n" + "\n".join(missing)


def test_every_exercise_named_is_an_exercise_of_its_notebook():
    missing = [f"{r.notebook}: {r.text!r}" for r in REFERENCES
               if r.kind == "exercise" and r.text not in EXERCISES[r.notebook]]
    assert not missing, "exercises not in the notebooks:\n" + "\n".join(missing)


def test_every_coded_exercise_is_set_at_least_once():
    named = {(r.notebook, r.text) for r in REFERENCES if r.kind == "exercise"}
    coded = [(stem, e) for stem, found in EXERCISES.items() for e in found
             if not course_plan.is_think(e)]
    assert len(coded) >= 20, coded   # the parser finds the notebooks' exercises
    missing = [f"{stem}: {e}" for stem, e in coded if (stem, e) not in named]
    assert not missing, "coded exercises the plan never sets:\n" + "\n".join(missing)


def test_every_think_exercise_has_a_model_answer():
    answers = PLAN.split("\n## Model answers\n", 1)[1]
    answered = {(r.notebook, r.text) for r in course_plan.references(answers)}
    think = [(stem, e) for stem, found in EXERCISES.items() for e in found
             if course_plan.is_think(e)]
    assert think, "no exercise answered in words was found"
    missing = [f"{stem}: {e}" for stem, e in think if (stem, e) not in answered]
    assert not missing, "think exercises without a model answer:\n" + "\n".join(missing)
    for stem, e in think:   # each answer is a heading of its own, with text under it
        heading = f"### [{e}](../notebooks/{stem}.ipynb)\n\n"
        assert heading in answers, heading
        assert len(answers.split(heading, 1)[1].split("\n### ", 1)[0]) > 300, e


def test_twelve_sessions_in_six_weeks_and_an_optional_seventh_cover_every_notebook():
    assert [int(n) for n in SESSION.findall(PLAN)] == list(range(1, 14))
    weeks = re.findall(r"^## Week \d · .*$", PLAN, re.M)
    assert len(weeks) == 7 and weeks[-1].endswith("(optional)"), weeks
    assert not any(w.endswith("(optional)") for w in weeks[:-1]), weeks
    assert len(re.findall(r"^### Assignment \d \(week \d\)", PLAN, re.M)) == 7
    sessions = SESSION.split(PLAN.split("\n## A one-session crash course")[0])[1:]
    taught = {r.notebook for text in sessions[1::2]
              for r in course_plan.references(text) if r.kind == "notebook"}
    assert taught == set(NOTEBOOKS), sorted(set(NOTEBOOKS) - taught)
    for title in ("## A one-session crash course", "## A self-study path", "## Model answers"):
        assert f"\n{title}\n" in PLAN, title


def test_every_session_quotes_its_notebooks_run_times():
    sessions = SESSION.split(PLAN.split("\n## A one-session crash course")[0])[1:]
    for number, text in zip(sessions[::2], sessions[1::2]):
        (notebook,) = [r.notebook for r in course_plan.references(text) if r.kind == "notebook"]
        assert f"<!-- run-times {notebook} -->" in text, f"session {number}"


def test_the_run_time_figures_are_run_times_own():
    assert course_plan.updated(PLAN) == PLAN, (
        "docs/course.md's run-time figures differ from tools/run_times.py: run "
        "`python tools/course_plan.py`")
    assert len(course_plan.TIMES.findall(PLAN)) >= 14


def test_the_figures_are_computed_from_times():
    text = course_plan.times_text(["00_start_here", "08_gan_vs_vae"])
    t0, t8 = course_plan.run_times.TIMES["00_start_here"], course_plan.run_times.TIMES["08_gan_vs_vae"]
    assert text.startswith("`00` and `08` together: ")
    assert f"cached {course_plan.run_times.duration(t0.cached_s + t8.cached_s)}" in text
    assert f"study {course_plan.run_times.hours(t0.study_h + t8.study_h)}" in text
    with pytest.raises(ValueError, match="not notebooks"):
        course_plan.times_text(["99_missing"])


def test_references_recognise_each_kind():
    found = course_plan.references(
        "[03_dcgan_images](../notebooks/03_dcgan_images.ipynb), "
        "[§ 2 Training (once, then cached)](../notebooks/03_dcgan_images.ipynb), "
        "[Exercise 1 · Spherical interpolation](../notebooks/03_dcgan_images.ipynb), "
        "[Exercise 2 (think) · How many prior samples?](../notebooks/00_start_here.ipynb), "
        "[Bug 3 · a GAN step](../notebooks/10_faq_and_pitfalls.ipynb), [elsewhere](other.md)")
    assert [(r.kind, r.notebook, r.text) for r in found] == [
        ("notebook", "03_dcgan_images", "03_dcgan_images"),
        ("section", "03_dcgan_images", "2 Training (once, then cached)"),
        ("exercise", "03_dcgan_images", "Exercise 1 · Spherical interpolation"),
        ("exercise", "00_start_here", "Exercise 2 (think) · How many prior samples?"),
        ("exercise", "10_faq_and_pitfalls", "Bug 3 · a GAN step")]
    assert course_plan.is_think("Exercise 2 (think) · How many prior samples?")
    assert not course_plan.is_think("Bug 3 · a GAN step")


def test_the_readme_points_at_the_plan():
    assert "docs/course.md" in (ROOT / "README.md").read_text()
