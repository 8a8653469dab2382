"""Every spot-the-bug self-check fails on the broken step and passes on a fix (notebook 10).
The fixes are instructor/answers.py's; wrong fixes and other styles of fix, per bug, are in
tests/exercise_attempts.py."""
import inspect

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import instructor.answers as answers
from genlib.exercises import ExerciseNotDone
from genlib.pitfalls import PITFALLS, check_fix, evaluate_step, unchanged_bug
from genlib.steps import gan_step, vae_step

BUGS = list(PITFALLS.values())   # bug n is BUGS[n - 1]


def as_a_student_would(step, *edits):
    """``step``'s source, with each ``(old, new)`` edit made, defined in a notebook-like
    namespace: the check then runs it as a student's own step (genlib's are refused)."""
    source = inspect.getsource(step)
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    namespace = {"torch": torch, "nn": nn, "F": F, "__name__": "__main__"}
    exec(source, namespace)
    return namespace[step.__name__]


def test_six_bugs_each_with_a_worked_fix():
    assert len(PITFALLS) == 6 and [p.task for p in BUGS] == ["gan"] * 5 + ["vae"]
    assert all(callable(getattr(answers, f"step_{n}")) for n in range(1, 7))


@pytest.mark.parametrize("number", range(1, 7))
def test_the_broken_steps_have_genlibs_step_signature_and_return_a_dict(number):
    pitfall = BUGS[number - 1]
    library_step = gan_step if pitfall.task == "gan" else vae_step
    expected = list(inspect.signature(library_step).parameters)[:-1]   # less its setting
    assert list(inspect.signature(pitfall.step).parameters) == expected
    assert list(inspect.signature(getattr(answers, f"step_{number}")).parameters) == expected
    returned = []

    def recording(*args):
        returned.append(getattr(answers, f"step_{number}")(*args))

    evaluate_step(recording, pitfall.task, steps=1)
    assert isinstance(returned[0], dict) and all(torch.is_tensor(v) for v in returned[0].values())


@pytest.mark.parametrize("name", sorted(PITFALLS))
def test_broken_step_fails_its_check(name):
    pitfall = PITFALLS[name]
    assert not evaluate_step(pitfall.step, pitfall.task)


@pytest.mark.parametrize("number", range(1, 7))
def test_the_worked_fix_of_each_bug_learns_and_passes_check_fix(number):
    pitfall, fix = BUGS[number - 1], getattr(answers, f"step_{number}")
    assert evaluate_step(fix, pitfall.task)
    assert unchanged_bug(pitfall.step) == number and unchanged_bug(fix) is None
    assert check_fix(as_a_student_would(fix), pitfall.task, quiet=True)


def test_check_fix_refuses_the_librarys_steps(capsys):
    assert not check_fix(answers.step_1, "gan", name="bug 1")
    assert not check_fix(PITFALLS["labels swapped"].step, "gan", name="bug 3")
    out = capsys.readouterr().out.splitlines()
    assert all("not checked" in line and "your fix" in line for line in out)


def test_fix_passes_on_other_seeds_too():
    assert check_fix(as_a_student_would(answers.step_1), "gan", seed=3, quiet=True)
    assert check_fix(as_a_student_would(answers.step_6), "vae", seed=3, quiet=True)


def test_a_fix_that_draws_from_the_global_generator_passes_too():
    """The probe runs a step three times from one state: a step that ignores ``rng`` must
    see the same numbers each time, or it would be told that it depends on stale gradients."""
    gan = as_a_student_would(answers.step_1, (", generator=rng)", ")"))
    vae = as_a_student_would(answers.step_6, (
        "    mu, logvar = vae.encode(x)\n    z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, "
        "generator=rng)\n    logits = vae.decode(z)\n", "    logits, mu, logvar = vae(x)\n"))
    assert check_fix(gan, "gan", quiet=True) and check_fix(vae, "vae", quiet=True)


def test_the_checks_leave_the_global_random_state_as_they_found_it():
    def draws(seed, *checks):
        torch.manual_seed(seed)
        for check in checks:
            check()
        return torch.randn(3)

    checks = (lambda: check_fix(as_a_student_would(answers.step_6), "vae", steps=5, quiet=True),
              lambda: evaluate_step(BUGS[2].step, "gan", steps=5))
    assert torch.equal(draws(1, *checks), draws(1))
    assert not torch.equal(draws(1, *checks), draws(2, *checks))


def test_the_check_reports_why():
    result = evaluate_step(PITFALLS["fake batch detached"].step, "gan")
    assert "no gradient reaches the generator's weights" in result.message
    result = evaluate_step(PITFALLS["BCE on logits"].step, "gan")
    assert "raised RuntimeError" in result.message
    result = evaluate_step(PITFALLS["gradients never zeroed"].step, "gan")
    assert "before the step was called" in result.message
    result = evaluate_step(PITFALLS["KL with the wrong sign"].step, "vae")
    assert "wrong sign" in result.message
    result = evaluate_step(PITFALLS["labels swapped"].step, "gan")
    assert "generated mean stayed between" in result.message
    with pytest.raises(ValueError, match="task"):
        check_fix(as_a_student_would(answers.step_1), "flow")


def test_sources_are_shown_for_the_notebook():
    for pitfall in PITFALLS.values():
        assert pitfall.source().startswith("def ") and pitfall.hint and pitfall.symptom


def test_check_runs_on_one_thread_and_restores_the_count():
    before = torch.get_num_threads()
    seen = []

    def spy(G, D, opt_G, opt_D, x, rng):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop")

    torch.set_num_threads(2)
    try:
        assert not check_fix(spy, "gan", quiet=True)   # the probe's one step, on one thread
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_step_left_as_a_stub_is_not_done_yet(capsys):
    def step_1(G, D, opt_G, opt_D, x, rng):
        raise ExerciseNotDone
    result = check_fix(step_1, "gan", name="bug 1")
    assert not result and "not done yet" in result.message
    assert "not done yet" in capsys.readouterr().out
