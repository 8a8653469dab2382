"""An answer cannot break the rest of the notebook, nor fool its check, nor crash it.

Global state an answer changes (gradient mode, default dtype or device, threads, deterministic
algorithms, anomaly detection, the random number generator) is put back after the check and the
verdict says what was changed; a result that is not a real dense tensor or number gets a verdict
that names what it is, never "right!", and never an exception from inside the checker.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genlib.exercise_state import current
from genlib.exercises import check
from genlib.pitfalls import check_fix


def right_kl(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar).sum(-1)


def right_penalty(critic, real, fake):
    eps = torch.rand(len(real), *([1] * (real.dim() - 1)))
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


# ---------------------------------------------------------------- global state
def _then(change, answer=right_kl):
    def changed(*args):
        result = answer(*args)
        change()
        return result
    return changed


STATE_CHANGES = [
    ("grad off", lambda: torch.set_grad_enabled(False), "gradient tracking off"),
    ("float64 default", lambda: torch.set_default_dtype(torch.float64), "default dtype"),
    ("meta default device", lambda: torch.set_default_device("meta"), "default device"),
    ("one thread more", lambda: torch.set_num_threads(torch.get_num_threads() + 1), "threads"),
    ("deterministic", lambda: torch.use_deterministic_algorithms(True), "deterministic"),
    ("anomaly detection", lambda: torch.autograd.set_detect_anomaly(True), "anomaly"),
]


@pytest.mark.parametrize("label, change, named", STATE_CHANGES, ids=[c[0] for c in STATE_CHANGES])
def test_a_changed_setting_is_put_back_and_named(label, change, named):
    before = current()
    verdict = check("05.1", _then(change), quiet=True)
    assert current() == before, f"{label} was left changed"
    assert verdict, verdict.message
    assert "right!" in verdict.message and named in verdict.message, verdict.message
    assert "put this back" in verdict.message


def test_an_untouched_session_gets_no_note():
    verdict = check("05.1", right_kl, quiet=True)
    assert verdict.message == "my_gaussian_kl: right!"


def test_grad_off_inside_the_gradient_penalty_does_not_crash_the_check():
    """Grad disabled by the answer before its own work: its error, reported; grad back on."""
    def penalty_without_grad(critic, real, fake):
        torch.set_grad_enabled(False)
        return right_penalty(critic, real, fake)
    verdict = check("04.2", penalty_without_grad, quiet=True)
    assert not verdict and "it raised RuntimeError" in verdict.message, verdict.message
    assert "gradient tracking off" in verdict.message and torch.is_grad_enabled()


def test_grad_off_after_a_right_penalty_is_right_and_put_back():
    verdict = check("04.2", _then(lambda: torch.set_grad_enabled(False), right_penalty), quiet=True)
    assert verdict and "gradient tracking off" in verdict.message, verdict.message
    assert torch.is_grad_enabled()


def test_the_notebooks_own_settings_are_kept_and_do_not_spoil_the_check():
    """A notebook that turned gradients off and chose float64 itself: the check runs in a known
    state, and the notebook's choices are still there afterwards."""
    torch.set_default_dtype(torch.float64)
    try:
        with torch.no_grad():
            verdict = check("04.2", right_penalty, quiet=True)
            assert not torch.is_grad_enabled()
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert verdict, verdict.message


def test_reseeding_inside_an_answer_leaves_the_notebooks_random_numbers_alone():
    def reseeding(mu, logvar):
        torch.manual_seed(123)
        return right_kl(mu, logvar)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    assert check("05.1", reseeding, quiet=True)
    assert torch.equal(torch.rand(3), expected)


def test_a_fixed_step_that_turns_grad_off_is_put_back_and_named(capsys):
    from instructor.answers import step_6

    def step(vae, opt, x, rng):
        losses = step_6(vae, opt, x, rng)
        torch.set_grad_enabled(False)
        return losses
    result = check_fix(step, "vae", name="bug 6")
    assert torch.is_grad_enabled()
    assert result and "gradient tracking off" in result.message, result.message
    assert "put this back" in capsys.readouterr().out


# ---------------------------------------------------------------- kinds of results
def _returning(make):
    def answer(mu, logvar):
        return make(right_kl(mu, logvar))
    return answer


WRONG_KINDS = [
    ("complex", lambda kl: kl.to(torch.complex64) + 1j, "complex numbers"),
    ("complex, imaginary part 0", lambda kl: kl.to(torch.complex128), "complex numbers"),
    ("sparse", lambda kl: kl.to_sparse(), "sparse tensor"),
    ("meta", lambda kl: torch.empty(kl.shape, device="meta"), "meta device"),
    ("nested", lambda kl: torch.nested.nested_tensor([kl]), "nested tensor"),
    ("string", lambda kl: str(kl.tolist()), "returned a str"),
    ("None", lambda kl: None, "returned None"),
    ("list", lambda kl: kl.tolist(), "returned a list"),
    ("list of tensors", lambda kl: list(kl), "returned a list"),
    ("tuple", lambda kl: (kl, 0), "returned a tuple"),
    ("dict", lambda kl: {"kl": kl}, "returned a dict"),
    ("generator", lambda kl: (v for v in kl), "returned a generator"),
    ("object array", lambda kl: np.array(list(kl), dtype=object), "dtype object"),
    ("array of strings", lambda kl: kl.numpy().astype(str), "NumPy array of"),
    ("complex array", lambda kl: kl.numpy().astype(np.complex128), "complex numbers"),
    ("bool", lambda kl: True, "returned a bool"),
    ("half precision", lambda kl: kl.half(), "half precision"),
    ("one column too many", lambda kl: kl[:, None] if kl.dim() == 1 else kl, "shape"),
]


@pytest.mark.parametrize("label, make, says", WRONG_KINDS, ids=[k[0] for k in WRONG_KINDS])
def test_a_result_of_the_wrong_kind_gets_a_clear_verdict(label, make, says):
    verdict = check("05.1", _returning(make), quiet=True)
    assert not verdict, f"{label} passed: {verdict.message}"
    assert "right!" not in verdict.message and says in verdict.message, verdict.message
    assert "raised" not in verdict.message, verdict.message   # not an error of the checker


RIGHT_KINDS = [
    ("float64", lambda kl: kl.double()),
    ("numeric NumPy array", lambda kl: kl.numpy()),
    ("a parameter", lambda kl: torch.nn.Parameter(kl)),
    ("a graph attached", lambda kl: kl + 0 * torch.ones((), requires_grad=True)),
]


@pytest.mark.parametrize("label, make", RIGHT_KINDS, ids=[k[0] for k in RIGHT_KINDS])
def test_a_right_result_of_another_legitimate_kind_passes(label, make):
    verdict = check("05.1", _returning(make), quiet=True)
    assert verdict, f"{label}: {verdict.message}"


def test_a_wrong_result_with_a_graph_is_judged_by_its_values():
    verdict = check("05.1", _returning(lambda kl: 2 * kl + 0 * torch.ones((), requires_grad=True)),
                    quiet=True)
    assert not verdict and "common factor" in verdict.message, verdict.message


def test_a_single_number_and_a_vector_of_one_are_told_apart():
    one = check("01.3", lambda r, f: (F.logsigmoid(r).mean() + F.logsigmoid(-f).mean()).reshape(1),
                quiet=True)
    assert not one and "expected a single number" in one.message, one.message

    def squeezed(model, x, z_samples):   # the case with one point wants one value per point
        log_p = model.log_likelihood(x.unsqueeze(0), z_samples.unsqueeze(1))
        return (torch.logsumexp(log_p, 0) - torch.log(torch.tensor(float(len(z_samples))))).squeeze()
    verdict = check("00.1", squeezed, quiet=True)
    assert not verdict and "single number, expected shape" in verdict.message, verdict.message


@pytest.mark.parametrize("make, says", [
    (lambda out: torch.empty(out.shape, device="meta"), "meta device"),
    (lambda out: out.to_sparse(), "sparse tensor"),
    (lambda out: out.tolist(), "not a tensor of images"),
], ids=["meta", "sparse", "list"])
def test_posterior_samples_of_the_wrong_kind_get_a_clear_verdict(make, says):
    def samples(vae, x, n=8):
        with torch.no_grad():
            mu, logvar = vae.encode(x)
            z = mu + torch.exp(0.5 * logvar) * torch.randn(n, mu.shape[1])
            return make(torch.sigmoid(vae.decode(z)))
    verdict = check("06.2", samples, quiet=True)
    assert not verdict and says in verdict.message, verdict.message


@pytest.mark.parametrize("make, says", [
    (lambda p: p.to(torch.complex64), "complex numbers"),
    (lambda p: torch.empty((), device="meta"), "meta device"),
    (lambda p: p.item(), "no gradient back to the critic"),
], ids=["complex", "meta", "float"])
def test_a_gradient_penalty_of_the_wrong_kind_gets_a_clear_verdict(make, says):
    verdict = check("04.2", lambda critic, real, fake: make(right_penalty(critic, real, fake)),
                    quiet=True)
    assert not verdict and says in verdict.message, verdict.message


def test_a_penalty_that_sets_the_critics_mode_is_judged_as_it_would_work_in_the_notebook():
    """The notebook's critic is an nn.Module: an answer may call .eval(), .train(), .zero_grad()."""
    def with_mode_calls(critic, real, fake):
        critic.eval()
        critic.zero_grad()
        penalty = right_penalty(critic, real, fake)
        critic.train()
        return penalty
    verdict = check("04.2", with_mode_calls, quiet=True)
    assert verdict, verdict.message


def test_notebook_context_for_a_check_that_takes_none_names_the_arguments():
    with pytest.raises(TypeError, match="takes no notebook context, got vae"):
        check("05.1", right_kl, vae=None)
