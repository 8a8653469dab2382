"""Every spot-the-bug self-check fails on the broken step and passes on a fix (notebook 10).
Wrong fixes and other styles of fix, per bug, are in tests/exercise_attempts.py."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import instructor.answers as answers
from genlib.exercises import ExerciseNotDone
from genlib.pitfalls import PITFALLS, check_fix, evaluate_step, unchanged_bug


def fixed_gan_step(generator, discriminator, opt_g, opt_d, real, z):
    """The step every GAN pitfall should become: D on real (1) vs detached fake (0), zeroed
    gradients, then G's non-saturating loss on a fake that still carries G's graph."""
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    fake = generator(z)
    d_loss = bce(discriminator(real), ones) + bce(discriminator(fake.detach()), zeros)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = bce(discriminator(fake), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def fixed_gan_step_with_probabilities(generator, discriminator, opt_g, opt_d, real, z):
    """The other fix of "BCE on logits": keep nn.BCELoss and give it probabilities."""
    bce = nn.BCELoss()
    ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
    fake = generator(z)
    d_loss = (bce(torch.sigmoid(discriminator(real)), ones)
              + bce(torch.sigmoid(discriminator(fake.detach())), zeros))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = bce(torch.sigmoid(discriminator(fake)), ones)
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss, g_loss


def fixed_vae_step(model, optimizer, x):
    logits, mu, logvar = model(x)
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = 0.5 * (logvar.exp() + mu.pow(2) - 1 - logvar).sum() / len(x)
    loss = reconstruction + kl  # -ELBO: minimise it
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


FIXES = {
    "generator not in its loss": [fixed_gan_step],
    "fake batch detached": [fixed_gan_step],
    "labels swapped": [fixed_gan_step],
    "BCE on logits": [fixed_gan_step, fixed_gan_step_with_probabilities],
    "gradients never zeroed": [fixed_gan_step],
    "KL with the wrong sign": [fixed_vae_step],
}


def test_every_pitfall_has_a_fix():
    assert set(FIXES) == set(PITFALLS) and len(PITFALLS) == 6


@pytest.mark.parametrize("name", sorted(PITFALLS))
def test_broken_step_fails_its_check(name):
    pitfall = PITFALLS[name]
    assert not evaluate_step(pitfall.step, pitfall.task)


@pytest.mark.parametrize("number", range(1, 7))
def test_the_worked_fix_of_each_bug_learns(number):
    pitfall = list(PITFALLS.values())[number - 1]
    assert evaluate_step(getattr(answers, f"step_{number}"), pitfall.task)
    assert unchanged_bug(pitfall.step) == number and unchanged_bug(getattr(answers, f"step_{number}")) is None


def test_check_fix_refuses_the_librarys_steps(capsys):
    assert not check_fix(answers.step_1, "gan", name="bug 1")
    assert not check_fix(PITFALLS["labels swapped"].step, "gan", name="bug 3")
    out = capsys.readouterr().out.splitlines()
    assert all("not checked" in line and "your fix" in line for line in out)


DISTINCT_FIXES = sorted({(PITFALLS[name].task, fix) for name, fixes in FIXES.items()
                         for fix in fixes}, key=lambda pair: pair[1].__name__)


@pytest.mark.parametrize("task, fix", DISTINCT_FIXES, ids=lambda v: getattr(v, "__name__", v))
def test_fixed_step_passes_its_check(task, fix):
    """Each fix once (the check is deterministic for a given step, task and seed)."""
    assert check_fix(fix, task, quiet=True)


def test_fix_passes_on_other_seeds_too():
    assert check_fix(fixed_gan_step, "gan", seed=3, quiet=True)
    assert check_fix(fixed_vae_step, "vae", seed=3, quiet=True)


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
        check_fix(fixed_gan_step, "flow")


def test_sources_are_shown_for_the_notebook():
    for pitfall in PITFALLS.values():
        assert pitfall.source().startswith("def ") and pitfall.hint and pitfall.symptom


def test_check_runs_on_one_thread_and_restores_the_count():
    before = torch.get_num_threads()
    seen = []

    def spy(generator, discriminator, opt_g, opt_d, real, z):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop")

    torch.set_num_threads(2)
    try:
        assert not check_fix(spy, "gan", quiet=True)   # the probe's one step, on one thread
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_step_left_as_a_stub_is_not_done_yet(capsys):
    def step_1(generator, discriminator, opt_g, opt_d, real, z):
        raise ExerciseNotDone
    result = check_fix(step_1, "gan", name="bug 1")
    assert not result and "not done yet" in result.message
    assert "not done yet" in capsys.readouterr().out
