"""Self-checks for the notebooks' exercises.

``check("05.2", my_beta_vae_loss)`` runs your answer to exercise 2 of notebook 05 on test cases
built here, compares it with an independent reference (the library's objective or metric,
SciPy, a simulation, the layer itself) and prints a verdict:

* "right!" when every case agrees;
* otherwise the case that failed, described in words, and what kind of mistake it looks like:
  a shape, NaN or Inf, the wrong sign, and for a tensor of several values one common factor or
  one common offset. Some frequent mistakes are named (the discriminator's loss where the
  generator's is asked for, a KL with the wrong sign). A verdict never holds a value, factor or
  difference from which the reference could be recovered.

Where one value cannot tell right from wrong, the check tests behaviour: the gradient
penalty's gradient must reach the critic's weights, at points between real and generated
examples with one random eps each (04.2); posterior samples are judged by their distribution,
whatever random number generator drew them (06.2); a fixed training step must still train the
model it fixes (notebook 10, :func:`genlib.pitfalls.check_fix`). genlib's own functions are
refused as answers.

Every exercise of the notebooks is registered in ``EXERCISES``: its key is the notebook's number
and the exercise's ("02.3"), matching the heading "### Exercise 3" of notebook 02 ("### Bug 3" in
notebook 10). The worked answers are in :mod:`genlib.answers`.
"""
from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn


class ExerciseNotDone(NotImplementedError):
    """Raised by exercise stubs: replace ``raise ExerciseNotDone`` with your code."""


@dataclass
class Verdict:
    """What a check found: ``passed`` (also the verdict's truth value) and the sentence printed."""
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed


@dataclass
class Case:
    """One test input: the answer's positional ``args`` and, in words, what the case tests."""
    args: tuple
    note: str = ""


@dataclass
class Mistake:
    """A frequent wrong answer and a sentence that names it without giving the answer away."""
    function: Callable
    message: str


NOT_DONE = "not done yet - write your code in place of `raise ExerciseNotDone`."
NONFINITE = ("the result contains NaN or Inf where the right one is finite: look for an operation "
             "outside its domain (a log of 0 or of a negative number, a division by 0, an arccos "
             "or a square root of a value out of range) or an exp that overflows or underflows")


# ---------------------------------------------------------------- comparing one result
def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _as_tensor(value) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64).cpu()
    try:
        return torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return None


def _diagnose(got, want, atol: float, rtol: float) -> str | None:
    """What is wrong with ``got`` against ``want`` (None: nothing), in words that never reveal
    ``want``: no factor, no difference, only the kind of mistake."""
    if got is None:
        return "it returned None - did you forget `return`?"
    got_t, want_t = _as_tensor(got), _as_tensor(want)
    if got_t is None:
        return f"it returned a {type(got).__name__}, not a number or a tensor"
    if want_t.numel() == 1 and got_t.numel() == 1:
        got_t, want_t = got_t.reshape(()), want_t.reshape(())
    if got_t.shape != want_t.shape:
        return (f"the result has shape {tuple(got_t.shape)}, expected {tuple(want_t.shape)} "
                "(which dimensions should be summed or averaged over?)")
    if not torch.isfinite(got_t).all() and torch.isfinite(want_t).all():
        return NONFINITE
    if torch.allclose(got_t, want_t, atol=atol, rtol=rtol):
        return None
    if want_t.abs().max() > 10 * atol and torch.allclose(got_t, -want_t, atol=atol, rtol=rtol):
        return "the result has the wrong sign"
    if want_t.numel() > 1:
        diff = got_t - want_t
        if torch.allclose(diff, diff.mean().expand_as(diff), atol=atol * 10, rtol=0):
            return "every value is off by one common constant (a missing term?)"
        nonzero = want_t.abs() > 1e-6
        ratio = got_t[nonzero] / want_t[nonzero]
        if (nonzero.sum() > 1 and (got_t[~nonzero].abs() < atol).all()
                and torch.allclose(ratio, ratio.mean().expand_as(ratio), rtol=1e-3)):
            return ("every value is off by one common factor (a missing constant such as 1/2, "
                    "or a mean where a sum belongs?)")
        return "the values differ from the right ones"
    return "the value is not the right one"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _fresh(args: tuple) -> tuple:
    """Copies of the tensor arguments, so that an answer working in place changes nothing."""
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _library_object(answer) -> bool:
    target = answer
    while isinstance(target, functools.partial):
        target = target.func
    target = inspect.unwrap(getattr(target, "__func__", target))
    module = getattr(target, "__module__", None) or ""
    return module == "genlib" or module.startswith("genlib.")


def refusal(answer, name: str, reference: Callable | None = None) -> str | None:
    """Why ``answer`` cannot be checked as the student's own (None: it can)."""
    if not callable(answer):
        return (f"{name}: expected your function, got a {type(answer).__name__} - pass the "
                "function itself, without calling it")
    code = getattr(answer, "__code__", None)
    if answer is reference or (code is not None and code is getattr(reference, "__code__", object())):
        whose = "the check's own reference"
    elif _library_object(answer):
        whose = "genlib's own function"
    else:
        return None
    return (f"{name}: this is {whose}, not an answer - write it yourself in the exercise's cell "
            "(the Answer block under the exercise shows one way, when you want it)")


def _verdict(passed: bool, message: str, quiet: bool) -> Verdict:
    if not quiet:
        print(message)
    return Verdict(passed, message)


def _case_label(i: int, case: Case) -> str:
    return f"on test case {i} ({case.note})" if case.note else f"on test case {i}"


def check_function(answer: Callable, reference: Callable, cases: Iterable, name: str = "your function",
                   atol: float = 1e-5, rtol: float = 1e-4, mistakes: Iterable[Mistake] = (),
                   quiet: bool = False) -> Verdict:
    """Compare ``answer(*case)`` with ``reference(*case)`` for every case; print a verdict.

    ``cases`` holds :class:`Case` objects (or plain argument tuples). The first case that
    disagrees is reported with its note and the kind of mistake, or the message of a known
    ``mistake`` whose result the answer reproduces. Never prints the reference's values.
    """
    problem = refusal(answer, name, reference)
    if problem:
        return _verdict(False, problem, quiet)
    mistakes = list(mistakes)
    cases = [case if isinstance(case, Case) else Case(tuple(case)) for case in cases]
    for i, case in enumerate(cases, 1):
        try:
            got = answer(*_fresh(case.args))
        except ExerciseNotDone:
            return _verdict(False, f"{name}: {NOT_DONE}", quiet)
        except Exception as exc:  # the student's bug, reported, not raised
            return _verdict(False, f"{name}: not yet - {_case_label(i, case)} it raised "
                                   f"{type(exc).__name__}: {_first_line(exc)}", quiet)
        want = reference(*_fresh(case.args))
        problem = _diagnose(got, want, atol, rtol)
        if problem:
            problem = _known_mistake(answer, cases, mistakes, atol, rtol) or problem
            return _verdict(False, f"{name}: not yet - {_case_label(i, case)}, {problem}.", quiet)
    return _verdict(True, f"{name}: right!", quiet)


def _known_mistake(answer, cases: list[Case], mistakes: list[Mistake], atol: float,
                   rtol: float) -> str | None:
    """The message of the first mistake whose results the answer reproduces on every case."""
    if not mistakes:
        return None
    try:
        answers = [answer(*_fresh(case.args)) for case in cases]
    except Exception:  # the answer fails somewhere: name no mistake
        return None
    for mistake in mistakes:
        try:
            if all(_diagnose(got, mistake.function(*_fresh(case.args)), atol, rtol) is None
                   for got, case in zip(answers, cases)):
                return mistake.message
        except Exception:  # a mistake that does not apply to these cases
            continue
    return None


# ---------------------------------------------------------------- the exercises
@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook.

    ``kind``: "code" (a function, checked by :func:`check`), "fix" (notebook 10: a broken
    training step to repair, checked by :func:`genlib.pitfalls.check_fix`) or "think" (answered
    in words, in the notebook's Answer block). ``name``: the function the student writes.
    """
    key: str
    kind: str
    title: str
    name: str = ""
    checker: Callable | None = field(default=None, compare=False, repr=False)


def check(key: str, answer: Callable, quiet: bool = False, **context) -> Verdict:
    """Check ``answer`` to exercise ``key`` ("NN.k": notebook NN, exercise k) and print a
    verdict sentence; ``context`` passes what a check can use from the notebook (06.2: the
    notebook's trained ``vae`` and an image ``x``)."""
    exercise = EXERCISES.get(key)
    if exercise is None or exercise.checker is None:
        coded = sorted(k for k, e in EXERCISES.items() if e.checker is not None)
        raise ValueError(f"no checked exercise {key!r}: the keys are {', '.join(coded)}")
    return exercise.checker(answer, exercise.name, quiet=quiet, **context)


def _function_check(make_cases, reference, mistakes=(), atol=1e-5, rtol=1e-4):
    """A checker comparing an answer with ``reference`` on ``make_cases()``."""
    def checker(answer, name, quiet=False):
        with torch.random.fork_rng(devices=[]):   # the check leaves the notebook's RNG alone
            torch.manual_seed(0)
            return check_function(answer, reference, make_cases(), name, atol=atol, rtol=rtol,
                                  mistakes=mistakes() if callable(mistakes) else mistakes,
                                  quiet=quiet)
    return checker


# 00.1 ------------------------------------------------------------ the naive estimator
def _cases_00_1():
    from .models.linear_gaussian import LinearGaussian
    model = LinearGaussian.random(data_dim=5, latent_dim=2, generator=_gen(1))
    x, _ = model.sample(4, generator=_gen(2))
    z = torch.randn(300, 2, generator=_gen(3), dtype=torch.float64)
    return [Case((model, x, z), "4 points and 300 prior samples"),
            Case((model, x + 40.0, z), "points far from the data, where every p(x | z_k) is "
                                       "smaller than the smallest float and exp gives 0"),
            Case((model, x[:1], z[:5]), "one point and 5 prior samples")]


def _log_likelihoods(model, x, z):
    return model.log_likelihood(x.unsqueeze(0), z.unsqueeze(1))


_MISTAKES_00_1 = [Mistake(lambda m, x, z: _log_likelihoods(m, x, z).mean(0),
                          "this is the average of the log-likelihoods, which by Jensen's "
                          "inequality lies below the log of the average likelihood")]


# 01 ------------------------------------------------------------- the value function
def _cases_01_1():
    g = _gen(10)
    return [Case((torch.tensor([0.2, 1.0, 3.0]), torch.tensor([0.6, 1.0, 0.5])), "three points"),
            Case((torch.rand(4, 5, generator=g) + 0.01, torch.rand(4, 5, generator=g) + 0.01),
                 "a 4 x 5 batch of density values"),
            Case((torch.tensor([1e-30, 5.0]), torch.tensor([4.0, 1e-30])),
                 "points where one of the densities is almost 0")]


_MISTAKES_01_1 = [Mistake(lambda p, q: q / (p + q),
                          "this is the probability that a point is generated, 1 - D*; D* is the "
                          "probability that it is real")]


def _cases_01_2():
    batch_p = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    batch_q = torch.tensor([[0.4, 0.3, 0.2, 0.1], [0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])
    return [Case((torch.tensor([0.3, 0.7]), torch.tensor([0.6, 0.4])), "two outcomes, no zeros"),
            Case((torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.0, 0.5, 0.5])),
                 "some probabilities exactly 0"),
            Case((torch.tensor([1.0, 0.0, 0.0, 0.0]), torch.tensor([0.0, 0.2, 0.3, 0.5])),
                 "disjoint supports"),
            Case((batch_p, batch_q), "a batch of 3 pairs of distributions over 4 outcomes, one "
                                     "outcome with probability 0 under both p and q")]


def _jsd_unnormalised_mixture(p, q):
    m = p + q
    return 0.5 * ((torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
                  + (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1))


_MISTAKES_01_2 = [Mistake(_jsd_unnormalised_mixture,
                          "your mixture m does not sum to 1: it should be the average of p and q")]


def _cases_01_3():
    g = _gen(11)
    return [Case((torch.randn(50, generator=g), torch.randn(60, generator=g)),
                 "50 real and 60 generated logits"),
            Case((torch.tensor([200.0, -200.0, 3.0]), torch.tensor([-200.0, 200.0])),
                 "very confident logits, +-200"),
            Case((3 * torch.randn(4, 3, generator=g), 3 * torch.randn(5, 2, generator=g)),
                 "logits in 2-D batches of different sizes")]


_MISTAKES_01_3 = [
    Mistake(lambda r, f: F.logsigmoid(r).mean() + F.logsigmoid(f).mean(),
            "the generated samples' term should be log(1 - D(G(z))), the log-probability the "
            "discriminator gives to 'generated'"),
    Mistake(lambda r, f: torch.cat([F.logsigmoid(r).flatten(), F.logsigmoid(-f).flatten()]).mean(),
            "you average both terms over the two batches together; V is a mean over the real "
            "batch plus a mean over the generated batch"),
]


def _gan_value(r, f):
    from .objectives.gan import gan_value
    return gan_value(r, f)


def _optimal_discriminator(p, q):
    from .objectives.gan import optimal_discriminator
    return optimal_discriminator(p, q)


def _js_divergence(p, q):
    from .objectives.gan import js_divergence
    return js_divergence(p, q)


# 02 ------------------------------------------------------------- training dynamics
def _toys():
    from .data import toy2d
    return toy2d.get("ring8"), toy2d.get("grid25")


def _cases_02_1():
    ring, grid = _toys()
    g = _gen(20)
    ring_samples = ring.sample(500, generator=g) * 1.03
    return [Case((ring_samples, ring.modes, ring.std),
                 "500 samples near the ring of 8, some just beyond 3 std"),
            Case((grid.sample(300, generator=g) + 0.1 * torch.randn(300, 2, generator=g),
                  grid.modes, grid.std), "300 noisy samples of the 5 x 5 grid"),
            Case((ring_samples * 1.1, ring.modes, 0.5), "samples off the ring, with std = 0.5")]


def _high_quality(samples, modes, std):
    from .metrics.toy2d import mode_coverage
    return mode_coverage(samples, modes, std).high_quality


def _cases_02_2():
    return [Case((0.1, 100), "eta = 0.1, 100 steps"), Case((0.3, 17), "eta = 0.3, 17 steps"),
            Case((0.05, 400), "eta = 0.05, 400 steps"), Case((1.0, 3), "eta = 1, 3 steps"),
            Case((0.5, 0), "no step at all")]


def _simultaneous_game(eta, steps):
    """The bilinear game min_x max_y xy, played with simultaneous gradient steps from (1, 0)."""
    x, y = 1.0, 0.0
    for _ in range(steps):
        x, y = x - eta * y, y + eta * x
    return math.hypot(x, y)


def _cases_02_3():
    ring, _ = _toys()
    modes = ring.modes
    collapsed = torch.cat([modes[0].expand(900, 2), modes[5].expand(95, 2), modes[2].expand(5, 2)])
    scattered = torch.cat([modes[0].expand(495, 2), modes[1].expand(5, 2),
                           modes[3].expand(500, 2) + 1.0])
    return [Case((collapsed, modes, ring.std), "1000 samples at 3 modes: 900, 95 and 5"),
            Case((ring.sample(1000, generator=_gen(21)), modes, ring.std),
                 "1000 samples of the ring itself"),
            Case((collapsed, modes, ring.std, 0.001), "the first case with min_share = 0.001"),
            Case((scattered, modes, ring.std),
                 "495 and 5 samples at two modes, 500 far from every mode")]


def _modes_covered(samples, modes, std, min_share=0.01):
    from .metrics.toy2d import mode_coverage
    return mode_coverage(samples, modes, std, min_share=min_share).modes_covered


# 03 ------------------------------------------------------------- DCGAN
def _cases_03_1():
    g = _gen(40)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    return ([Case((z0, z1, t), f"two 64-d codes, t = {t}") for t in (0.3, 0.0, 1.0, 0.5)]
            + [Case((z0, 3 * z1, 0.7), "endpoints of different lengths, t = 0.7")])


def _slerp(z0, z1, t):
    from .widgets.interpolation import slerp
    return slerp(z0, z1, t)


_MISTAKES_03_1 = [
    Mistake(lambda z0, z1, t: (1 - t) * z0 + t * z1,
            "this is the straight line between the codes (lerp); slerp follows the arc"),
    Mistake(lambda z0, z1, t: _slerp(z1, z0, t), "t = 0 should give z0 and t = 1 give z1"),
]


def _cases_03_2():
    return [Case((7, 4, 2, 1), "n = 7, kernel 4, stride 2, padding 1"),
            Case((1, 7, 1, 0), "n = 1, kernel 7, stride 1, padding 0"),
            Case((5, 3, 3, 0), "n = 5, kernel 3, stride 3, padding 0"),
            Case((10, 5, 2, 2), "n = 10, kernel 5, stride 2, padding 2"),
            Case((3, 2, 2, 0), "n = 3, kernel 2, stride 2, padding 0")]


def _transposed_size(n, kernel, stride, padding):
    with torch.no_grad():
        layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding)
        return layer(torch.zeros(1, 1, n, n)).shape[-1]


# 04 ------------------------------------------------------------- Wasserstein GAN
def _cases_04_1():
    g = _gen(30)
    x = torch.randn(100, generator=g)
    return [Case((torch.randn(200, generator=g), 2 * torch.randn(200, generator=g) + 1),
                 "200 draws of N(0, 1) and 200 of N(1, 4)"),
            Case((torch.rand(50, generator=g), torch.rand(50, generator=g) ** 2),
                 "50 uniform draws and 50 squared uniform draws"),
            Case((x, x.flip(0) + 0.5), "a sample and the same sample, reordered and shifted")]


def _scipy_w1(x, y):
    from scipy.stats import wasserstein_distance
    return wasserstein_distance(x.numpy(), y.numpy())


class _ProbeCritic(nn.Module):
    """A small critic whose gradient changes from point to point; it keeps its inputs."""

    def __init__(self, dim: int, seed: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 16), nn.Tanh(), nn.Linear(16, 1))
        g = _gen(seed)
        with torch.no_grad():
            for p in self.net.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.7)
        self.inputs: list[torch.Tensor] = []

    def score(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).squeeze(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        return self.score(x)


def _penalty_points(inputs, real) -> torch.Tensor | None:
    """The batch the answer took the critic's gradient at (the last input that needed one)."""
    batches = [x for x in inputs if isinstance(x, torch.Tensor) and x.shape == real.shape]
    graded = [x for x in batches if x.requires_grad] or batches
    return graded[-1] if graded else None


def _interpolation_problem(x_hat, real, fake) -> str | None:
    if x_hat is None:
        return "the critic was never called on a batch shaped like the real one"
    r, f, h = (t.detach().double().flatten(1) for t in (real, fake, x_hat))
    d = r - f
    eps = ((h - f) * d).sum(1) / (d * d).sum(1)
    residual = (h - f - eps[:, None] * d).norm(dim=1).max()
    if residual > 1e-4 * (1 + d.norm(dim=1).max()):
        return ("the points where you take the critic's gradient are not eps * real + (1 - eps) "
                "* fake with one eps per example (one eps for all the pixels of an image)")
    if (eps - 1).abs().max() < 1e-6:
        return ("you take the critic's gradient at the real examples only; the penalty belongs "
                "at random points between real and generated examples")
    if eps.abs().max() < 1e-6:
        return ("you take the critic's gradient at the generated examples only; the penalty "
                "belongs at random points between real and generated examples")
    if eps.std() < 1e-6:
        return "every example gets the same eps: draw one eps per example"
    if eps.min() < -1e-6 or eps.max() > 1 + 1e-6:
        return "some of your eps lie outside [0, 1]"
    if not (0.38 < eps.mean() < 0.62 and 0.22 < eps.std() < 0.35):
        return "your eps do not look uniform on [0, 1]"
    return None


def _check_04_2(answer, name, quiet=False):
    from .objectives.wasserstein import gradient_penalty
    problem = refusal(answer, name, gradient_penalty)
    if problem:
        return _verdict(False, problem, quiet)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        g = _gen(31)
        steep, flat = torch.tensor([0.5, -2.0, 1.0]), torch.tensor([0.3, -0.2, 0.4])
        x3 = torch.randn(64, 3, generator=g)
        images = torch.rand(8, 1, 4, 4, generator=g)
        cases = [Case((lambda x: x @ steep, x3, torch.randn(64, 3, generator=g)),
                      "a linear critic whose gradient has norm above 1"),
                 Case((lambda x: x @ flat, x3, torch.randn(64, 3, generator=g)),
                      "a linear critic whose gradient has norm below 1"),
                 Case((lambda x: 0.5 * x.pow(2).sum(1), 2 * x3, 2 * x3),
                      "a quadratic critic, the generated batch equal to the real one"),
                 Case((lambda x: (x ** 3).flatten(1).sum(1), images, images.clone()),
                      "8 images of 1 x 4 x 4 pixels, the generated batch equal to the real one")]
        verdict = check_function(answer, gradient_penalty, cases, name, quiet=True)
        if not verdict:
            return _verdict(False, verdict.message, quiet)
        try:
            problem = _gradient_penalty_behaviour(answer, g)
        except Exception as exc:  # the student's bug, reported
            problem = f"on random batches it raised {type(exc).__name__}: {_first_line(exc)}"
    if problem:
        return _verdict(False, f"{name}: not yet - {problem}.", quiet)
    return _verdict(True, f"{name}: right!", quiet)


def _gradient_penalty_behaviour(answer, g) -> str | None:
    # where the gradient is taken: one uniform eps per example, on points and on images
    for real, fake in [(torch.randn(256, 3, generator=g), torch.randn(256, 3, generator=g) + 3),
                       (torch.rand(256, 1, 4, 4, generator=g), torch.rand(256, 1, 4, 4, generator=g))]:
        critic = _ProbeCritic(real[0].numel())
        answer(critic, real.clone(), fake.clone())
        problem = _interpolation_problem(_penalty_points(critic.inputs, real), real, fake)
        if problem:
            return problem
    # what the penalty does to the critic: its value and its gradient at the answer's own points
    critic = _ProbeCritic(3)
    real, fake = torch.randn(32, 3, generator=g), torch.randn(32, 3, generator=g)
    penalty = answer(critic, real, fake)
    weights = list(critic.parameters())
    no_graph = ("your penalty carries no gradient back to the critic's weights, so it would never "
                "train the critic: torch.autograd.grad must build a graph of the gradient itself "
                "(create_graph=True)")
    if not isinstance(penalty, torch.Tensor) or not penalty.requires_grad:
        return no_graph
    yours = torch.autograd.grad(penalty, weights, allow_unused=True)
    if all(gr is None or not gr.abs().sum() for gr in yours):
        return no_graph
    x_hat = _penalty_points(critic.inputs, real).detach().requires_grad_(True)
    (grad_x,) = torch.autograd.grad(critic.score(x_hat).sum(), x_hat, create_graph=True)
    reference = ((grad_x.flatten(1).norm(dim=1) - 1) ** 2).mean()
    if not torch.allclose(penalty.detach(), reference.detach(), rtol=1e-4, atol=1e-6):
        return ("at random points between real and generated examples, with a critic whose "
                "gradient changes from point to point, the penalty's value is not right")
    wanted = torch.autograd.grad(reference, weights, allow_unused=True)
    zero = torch.zeros(())   # a weight the penalty does not reach (the last bias) has no gradient
    if not all(torch.allclose(zero if gr is None else gr, zero if w is None else w, rtol=1e-3,
                              atol=1e-6) for gr, w in zip(yours, wanted)):
        return ("the penalty's value is right but its gradient with respect to the critic's "
                "weights is not: is something detached that should not be?")
    return None


# 05 ------------------------------------------------------------- the ELBO
def _cases_05_1():
    g = _gen(50)
    return [Case((torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)),
                 "5 examples, 3 latent dimensions"),
            Case((2 * torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)),
                 "5 examples with larger means"),
            Case((torch.randn(2, 4, 3, generator=g), torch.randn(2, 4, 3, generator=g)),
                 "a 2 x 4 batch of examples, 3 latent dimensions")]


def _gaussian_kl(mu, logvar):
    from .objectives.elbo import gaussian_kl
    return gaussian_kl(mu, logvar)


def _bce_per_example(x, logits):
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def _cases_05_2():
    g = _gen(51)

    def case(shape, beta, note):
        x = torch.bernoulli(torch.full(shape, 0.4), generator=g)
        return Case((x, torch.randn(shape, generator=g), torch.randn(shape[0], 3, generator=g),
                     torch.randn(shape[0], 3, generator=g), beta), note)
    return [case((4, 20), 1.0, "4 examples of 20 pixels, beta = 1"),
            case((4, 20), 4.0, "4 examples of 20 pixels, beta = 4"),
            case((3, 1, 4, 5), 0.5, "3 images of 1 x 4 x 5 pixels, beta = 0.5")]


def _beta_vae_loss(x, logits, mu, logvar, beta):
    from .objectives.elbo import elbo
    return -elbo(x, logits, mu, logvar, beta=beta).elbo


_MISTAKES_05_2 = [
    Mistake(lambda x, l, mu, lv, beta: _bce_per_example(x, l) - beta * _gaussian_kl(mu, lv),
            "the KL term has the wrong sign (section 5.1: which sign does it take in the loss "
            "you minimise?)"),
    Mistake(lambda x, l, mu, lv, beta: (F.binary_cross_entropy_with_logits(l, x, reduction="none")
                                        .flatten(1).mean(1) + beta * _gaussian_kl(mu, lv)),
            "the reconstruction term is averaged over the pixels; log p(x|z) is a sum over them"),
]


def _cases_05_3():
    return [Case((784, 1.0), "D = 784, weight 1"), Case((64, 1.0), "D = 64, weight 1"),
            Case((15, 1.0), "D = 15, weight 1"), Case((784, 1000.0), "D = 784, weight 1000"),
            Case((100, 0.5), "D = 100, weight 0.5")]


_MISTAKES_05_3 = [Mistake(lambda D, weight: D / 2, "your answer does not change with the weight")]


# 06 ------------------------------------------------------------- VAEs on images
def _cases_06_1():
    g = _gen(60)
    return [Case((-300 + 3 * torch.randn(50, 3, generator=g),),
                 "50 log-weights for each of 3 images, around -300 nats as for real images"),
            Case((50 * torch.randn(7, 4, generator=g),), "log-weights spread over hundreds of nats"),
            Case((torch.randn(1, 5, generator=g),), "K = 1"),
            Case((torch.randn(6, 2, 3, generator=g) - 100,), "a 6 x 2 x 3 tensor, K = 6")]


def _iwae_bound(log_w):
    from .objectives.elbo import iwae_bound
    return iwae_bound(log_w)


_MISTAKES_06_1 = [Mistake(lambda log_w: log_w.mean(0),
                          "this is the average log-weight, the ELBO (the bound with K = 1), not "
                          "the log of the average weight")]


class _ProbeVAE(nn.Module):
    """A VAE with a fixed q(z|x) and a linear decoder, for checking posterior samples: the codes
    an answer decoded can be read back from the pixel probabilities it returns."""

    def __init__(self):
        super().__init__()
        self.image_shape = (1, 28, 28)
        self.latent_dim = 4
        g = _gen(61)
        self.register_buffer("mu", torch.tensor([[0.5, -1.0, 2.0, 0.0]]))
        self.register_buffer("logvar", torch.log(torch.tensor([[0.04, 0.25, 1.0, 0.09]])))
        self.register_buffer("weight", torch.randn(4, 784, generator=g) * 0.3)
        self.register_buffer("bias", torch.randn(784, generator=g) * 0.3)

    def encode(self, x):
        return self.mu.expand(len(x), -1), self.logvar.expand(len(x), -1)

    def decode(self, z):
        return (z @ self.weight + self.bias).view(-1, *self.image_shape)

    def generate(self, z):
        return torch.sigmoid(self.decode(z))

    def forward(self, x):
        from .objectives.elbo import reparameterize
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar

    def codes(self, probabilities: torch.Tensor) -> tuple[torch.Tensor, float]:
        """The codes z whose decoding gave ``probabilities``, and the worst relative residual."""
        logits = torch.logit(probabilities.detach().double().flatten(1).clamp(1e-7, 1 - 1e-7))
        target = logits - self.bias.double()
        z = torch.linalg.lstsq(self.weight.double().T, target.T).solution.T
        residual = (z @ self.weight.double() - target).norm(dim=1) / (1 + target.norm(dim=1))
        return z, residual.max().item()


def _posterior_sample_problem(out, vae: _ProbeVAE, n: int) -> str | None:
    if not isinstance(out, torch.Tensor):
        return f"it returned a {type(out).__name__}, not a tensor of images"
    if tuple(out.shape) != (n, *vae.image_shape):
        return (f"asked for n = {n} samples of one 1 x 28 x 28 image it returned shape "
                f"{tuple(out.shape)}, expected {(n, *vae.image_shape)}")
    out = out.detach()
    if not torch.isfinite(out).all():
        return NONFINITE
    if out.min() < 0 or out.max() > 1:
        return "these are not pixel probabilities: pass the decoder's logits through a sigmoid"
    if ((out == 0) | (out == 1)).float().mean() > 0.5:
        return "return the decoder's pixel probabilities, not binary images drawn from them"
    z, residual = vae.codes(out)
    if residual > 1e-3:
        return "the images are not the decoder's outputs at some codes z (decode, then sigmoid)"
    u = (z - vae.mu.double()) / torch.exp(0.5 * vae.logvar.double())   # standardised codes
    if (u - u[:1]).abs().max() < 1e-5:
        return "all your samples are the same: draw a new eps for every sample"
    if u.mean(0).abs().max() > 0.15:
        return "your samples are not centred on the encoder's mean mu(x)"
    if ((u.std(0) - 1).abs() > 0.1).any():
        return ("the spread of your samples is not the encoder's standard deviation "
                "sigma = exp(logvar / 2) in every latent dimension")
    corr = torch.corrcoef(u.T) - torch.eye(u.shape[1], dtype=u.dtype)
    if corr.abs().max() > 0.15:
        return "your eps are not independent across the latent dimensions"
    within_one = (u.abs() < 1).double().mean()
    if not 0.65 < within_one < 0.72:
        return "your eps do not look standard normal (torch.randn draws them so)"
    return None


def _check_06_2(answer, name, quiet=False, vae=None, x=None):
    problem = refusal(answer, name)
    if problem:
        return _verdict(False, problem, quiet)
    n = 2000
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        probe = _ProbeVAE()
        try:
            problem = _posterior_sample_problem(answer(probe, torch.zeros(1, 1, 28, 28), n), probe, n)
            if problem is None and vae is not None and x is not None:
                out = answer(vae, x)
                shape = (8, *x.shape[1:])
                if not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
                    got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                    problem = (f"with the notebook's model and the default n it returned "
                               f"{got}, expected shape {shape}")
                elif out.min() < 0 or out.max() > 1:
                    problem = "with the notebook's model it returned values outside [0, 1]"
        except ExerciseNotDone:
            return _verdict(False, f"{name}: {NOT_DONE}", quiet)
        except Exception as exc:  # the student's bug, reported
            problem = f"it raised {type(exc).__name__}: {_first_line(exc)}"
    if problem:
        return _verdict(False, f"{name}: not yet - {problem}.", quiet)
    return _verdict(True, f"{name}: right!", quiet)


# 07 ------------------------------------------------------------- beta-VAE
def _codes_with_variances(variances, n=400, seed=70, means=None):
    z = torch.randn(n, len(variances), generator=_gen(seed))
    z = (z - z.mean(0)) / z.std(0)                      # exactly mean 0, variance 1
    z = z * torch.tensor(variances).sqrt()
    return z + (torch.tensor(means) if means is not None else 0.0)


def _cases_07_1():
    six = _codes_with_variances([0.0, 0.0004, 0.003, 0.03, 0.5, 2.0])
    shifted = _codes_with_variances([0.0, 0.0, 0.2, 0.0, 1.0], means=[3.0, -2.0, 0.0, 0.5, 1.0])
    return [Case((six,), "400 codes in 6 dimensions with variances from 0 to 2"),
            Case((six, 0.1), "the same codes with threshold 0.1"),
            Case((torch.zeros(100, 8),), "100 identical codes"),
            Case((shifted,), "codes whose constant dimensions have large means")]


def _active_units(mu, threshold=0.01):
    return int((mu.var(0) > threshold).sum())


def _cases_07_2():
    g = _gen(71)
    cases = [Case((torch.randn(16, 6, generator=g) * s, torch.randn(16, 6, generator=g) * 0.5, lam),
                  f"16 examples, 6 dimensions, lam = {lam}")
             for s, lam in [(0.1, 0.5), (2.0, 0.25), (1.0, 0.0)]]
    mu = torch.cat([torch.randn(32, 3, generator=g) * 2, torch.randn(32, 3, generator=g) * 0.05], 1)
    logvar = torch.cat([torch.full((32, 3), -1.0), torch.zeros(32, 3)], 1)
    return cases + [Case((mu, logvar, 0.5), "3 busy and 3 almost collapsed dimensions, lam = 0.5")]


def _free_bits(mu, logvar, lam):
    kl_per_dim = _gaussian_kl(mu.unsqueeze(-1), logvar.unsqueeze(-1))   # B x d
    return kl_per_dim.mean(0).clamp(min=lam).sum()


def _kl_terms(mu, logvar):
    return 0.5 * (logvar.exp() + mu**2 - 1 - logvar)


_MISTAKES_07_2 = [
    Mistake(lambda mu, lv, lam: _kl_terms(mu, lv).clamp(min=lam).mean(0).sum(),
            "you clamp the KL of each example; free bits clamps each dimension's KL after "
            "averaging it over the batch"),
    Mistake(lambda mu, lv, lam: _kl_terms(mu, lv).sum(1).mean().clamp(min=lam),
            "you clamp the total KL; the allowance lam is per latent dimension"),
]


# 08 ------------------------------------------------------------- GAN vs VAE
def _cases_08_1():
    g = _gen(3)

    def vectors():
        return (torch.randn(4, generator=g), torch.rand(4, generator=g) + 0.1,
                torch.randn(4, generator=g), torch.rand(4, generator=g) + 0.1)
    cases = [Case(vectors(), "two random diagonal Gaussians in 4-D") for _ in range(2)]
    mu_a, var_a, _, var_b = vectors()
    cases.append(Case((mu_a, var_a, mu_a.clone(), var_b), "the same means, different variances"))
    mu_a, var_a, mu_b, _ = vectors()
    cases.append(Case((mu_a, var_a, mu_b, var_a.clone()), "different means, the same variances"))
    return cases


def _diagonal_frechet(mu_a, var_a, mu_b, var_b):
    from .metrics.frechet import gaussian_frechet_distance
    return gaussian_frechet_distance(mu_a, torch.diag(var_a), mu_b, torch.diag(var_b))


def _cases_08_2():
    from .metrics.precision_recall import knn_radii
    g = _gen(4)
    real = torch.randn(200, 5, generator=g)
    radii = knn_radii(real, 3)
    cases = [Case((real, radii, torch.randn(150, 5, generator=g) * s + 0.5),
                  f"200 real and 150 generated points in 5-D, spread {s}") for s in (0.5, 1.0, 2.0)]
    real2 = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 5.0]])
    fake2 = torch.tensor([[1.2, 0.0], [0.2, 0.1], [9.0, 9.0], [0.0, 3.5]])
    cases.append(Case((real2, torch.tensor([0.5, 2.5, 1.0]), fake2),
                      "3 real points with balls of different sizes; one generated point lies "
                      "in a large ball but not in the ball of its nearest real point"))
    return cases


def _precision(real, radii, fake):
    from .metrics.precision_recall import manifold_membership
    return manifold_membership(fake, real, radii).double().mean()


_MISTAKES_08_2 = [Mistake(lambda real, radii, fake: (torch.cdist(real, fake) <= radii[:, None])
                          .any(1).double().mean(),
                          "this is the share of real points near a generated one (the idea of "
                          "recall, not of precision)")]


# 09 ------------------------------------------------------------- flows and BiGAN
def _cases_09_1():
    g = _gen(90)
    return [Case((torch.randn(5, 2, generator=g), torch.tensor([0.5, -0.3]), torch.tensor([1.0, 2.0]),
                  torch.tensor(0.1)), "5 points in 2-D"),
            Case((torch.randn(7, 3, generator=g), torch.tensor([1.0, 0.0, 0.5]),
                  torch.tensor([0.3, -1.0, 0.2]), torch.tensor(-0.5)), "7 points in 3-D"),
            Case((3 * torch.randn(6, 4, generator=g), torch.tensor([-0.4, 0.3, 0.2, 0.1]),
                  torch.tensor([0.8, 0.5, -0.6, 1.1]), torch.tensor(0.7)),
                 "6 spread-out points in 4-D")]


def _planar_log_det(z, u, w, b):
    from .models.flows import planar_map
    return planar_map(z, u, w, b)[1]


def _cases_09_2():
    g = _gen(91)
    return [Case((torch.randn(10, generator=g), torch.randn(10, generator=g)),
                 "10 real and 10 generated pairs"),
            Case((torch.tensor([100.0, -100.0]), torch.tensor([-100.0, 5.0, 100.0])),
                 "very confident logits, +-100, batches of 2 and 3"),
            Case((torch.randn(7, generator=g), 2 * torch.randn(4, generator=g)),
                 "7 real and 4 generated pairs")]


def _discriminator_loss(real, fake):
    from .objectives.gan import discriminator_loss
    return discriminator_loss(real, fake)


_MISTAKES_09_2 = [
    Mistake(lambda r, f: _discriminator_loss(r, f),
            "this is the discriminator's own loss; the encoder and the generator want each kind "
            "of pair to get the other label"),
    Mistake(lambda r, f: -_discriminator_loss(r, f),
            "this is the discriminator's loss with its sign flipped (the saturating form), whose "
            "gradient vanishes when the discriminator is confident; push each kind of pair "
            "towards the other label instead"),
]


# 11 ------------------------------------------------------------- from the VAE to diffusion
def _diffusion_cases(seed: int, extra):
    """Cases of (tensor, tensor, schedule numbers...) at a small, a middle and a large step."""
    g = _gen(seed)
    steps = [(b, (1 - b) * prev, prev) for b, prev in [(0.02, 0.97), (0.1, 0.45), (0.3, 0.03)]]
    cases = []                                               # beta_t, abar_t = (1 - beta_t) abar_{t-1}, abar_{t-1}
    for (beta, abar, abar_prev), note in zip(steps, ["an early step (little noise)", "a middle step",
                                                     "a late step (almost pure noise)"]):
        a, b = torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g)
        cases.append(Case(extra(a, b, beta, abar, abar_prev), f"6 points in 2-D at {note}"))
    a, b = torch.randn(3, 1, 4, 4, generator=g), torch.randn(3, 1, 4, 4, generator=g)
    cases.append(Case(extra(a, b, *steps[1]), "3 images of 4 x 4 pixels at a middle step"))
    return cases


def _cases_11_1():
    return _diffusion_cases(110, lambda a, b, beta, abar, abar_prev: (a, b, beta, abar, abar_prev))


def _posterior_mean(x0, x_t, beta_t, alpha_bar_t, alpha_bar_prev):
    # Bayes' rule in precision form: q(x_t | x_{t-1}) q(x_{t-1} | x_0), a product of Gaussians in x_{t-1}
    alpha_t = 1 - beta_t
    precision = alpha_t / beta_t + 1 / (1 - alpha_bar_prev)
    return (math.sqrt(alpha_t) / beta_t * x_t + math.sqrt(alpha_bar_prev) / (1 - alpha_bar_prev) * x0) / precision


_MISTAKES_11_1 = [
    Mistake(lambda x0, xt, beta, abar, abar_prev:
            math.sqrt(abar_prev) * beta / (1 - abar) * xt
            + math.sqrt(1 - beta) * (1 - abar_prev) / (1 - abar) * x0,
            "the two weights are swapped: which point does the weight with beta_t belong to?"),
    Mistake(lambda x0, xt, beta, abar, abar_prev:
            math.sqrt(abar_prev) * beta / (1 - abar) * x0
            + math.sqrt(abar) * (1 - abar_prev) / (1 - abar) * xt,
            "the noisy point's weight uses abar_t where one step's alpha_t = 1 - beta_t belongs"),
]


def _cases_11_2():
    return _diffusion_cases(111, lambda a, b, beta, abar, abar_prev: (a, b, abar))


def _tweedie_x0(x_t, score, alpha_bar_t):
    # the noise-prediction form: eps = -sqrt(1 - abar) score, x_0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar)
    eps = -math.sqrt(1 - alpha_bar_t) * score
    return (x_t - math.sqrt(1 - alpha_bar_t) * eps) / math.sqrt(alpha_bar_t)


_MISTAKES_11_2 = [
    Mistake(lambda xt, score, abar: (xt - (1 - abar) * score) / math.sqrt(abar),
            "the score term has the wrong sign: the score points towards more probable x, and "
            "the denoised point lies that way"),
    Mistake(lambda xt, score, abar: xt + (1 - abar) * score,
            "this is the denoised point of x_t's own scale; x_t = sqrt(abar_t) x_0 + ..., so "
            "undo that factor too"),
]


def _cases_11_3():
    g = _gen(112)
    cases = []
    for (abar_t, abar_s), note in [((0.02, 0.3), "a long jump from almost pure noise"),
                                   ((0.4, 0.6), "a middle jump"), ((0.9, 1.0), "the last jump, to x_0")]:
        cases.append(Case((torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g), abar_t,
                           abar_s), f"6 points in 2-D, {note}"))
    cases.append(Case((torch.randn(3, 1, 4, 4, generator=g), torch.randn(3, 1, 4, 4, generator=g),
                       0.3, 0.5), "3 images of 4 x 4 pixels"))
    return cases


def _ddim_step(x_t, eps_hat, alpha_bar_t, alpha_bar_s):
    # expanded: x_s = sqrt(abar_s / abar_t) x_t + (sqrt(1 - abar_s) - sqrt(abar_s (1 - abar_t) / abar_t)) eps
    ratio = math.sqrt(alpha_bar_s / alpha_bar_t)
    return ratio * x_t + (math.sqrt(1 - alpha_bar_s) - ratio * math.sqrt(1 - alpha_bar_t)) * eps_hat


_MISTAKES_11_3 = [
    Mistake(lambda xt, eps, abar_t, abar_s:
            math.sqrt(abar_s) * (xt - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t),
            "you keep only the predicted x_0 (scaled): DDIM puts the predicted noise back, with "
            "the noise level of the step it jumps to"),
    Mistake(lambda xt, eps, abar_t, abar_s:
            math.sqrt(abar_s) * (xt - math.sqrt(1 - abar_t) * eps) / math.sqrt(abar_t)
            + math.sqrt(1 - abar_t) * eps,
            "the noise goes back in with the noise level of the step you start from; use the "
            "one of the step you jump to"),
]


# 10 ------------------------------------------------------------- spot the bug
def _fix_checker(task: str):
    def checker(answer, name, quiet=False):
        from .pitfalls import check_fix
        return check_fix(answer, task, name=name, quiet=quiet)
    return checker


def _exercises() -> dict[str, Exercise]:
    code = [
        ("00.1", "the naive estimator", "my_naive_log_marginal",
         _function_check(_cases_00_1, lambda m, x, z: m.naive_log_marginal(x, z), _MISTAKES_00_1)),
        ("01.1", "optimal discriminator", "my_optimal_discriminator",
         _function_check(_cases_01_1, _optimal_discriminator, _MISTAKES_01_1)),
        ("01.2", "Jensen-Shannon divergence with zeros", "my_js_divergence",
         _function_check(_cases_01_2, _js_divergence, _MISTAKES_01_2)),
        ("01.3", "a value function that never says -inf", "my_gan_value",
         _function_check(_cases_01_3, _gan_value, _MISTAKES_01_3)),
        ("02.1", "the high-quality share", "my_high_quality_share",
         _function_check(_cases_02_1, _high_quality)),
        ("02.2", "how fast the simultaneous game spirals out", "my_simultaneous_radius",
         _function_check(_cases_02_2, _simultaneous_game, rtol=1e-6)),
        ("02.3", "modes covered", "my_modes_covered", _function_check(_cases_02_3, _modes_covered)),
        ("03.1", "spherical interpolation", "my_slerp",
         _function_check(_cases_03_1, _slerp, _MISTAKES_03_1)),
        ("03.2", "transposed convolution size", "my_transposed_size",
         _function_check(_cases_03_2, _transposed_size)),
        ("04.1", "W1 of two samples", "my_w1_samples", _function_check(_cases_04_1, _scipy_w1)),
        ("04.2", "the gradient penalty", "my_gradient_penalty", _check_04_2),
        ("05.1", "the Gaussian KL", "my_gaussian_kl", _function_check(_cases_05_1, _gaussian_kl)),
        ("05.2", "the beta-VAE loss", "my_beta_vae_loss",
         _function_check(_cases_05_2, _beta_vae_loss, _MISTAKES_05_2)),
        ("05.3", "the variance a mean squared error implies", "implied_variance",
         _function_check(_cases_05_3, lambda D, weight: D / (2 * weight), _MISTAKES_05_3,
                         rtol=1e-6)),
        ("06.1", "the importance-weighted bound", "my_iwae_bound",
         _function_check(_cases_06_1, _iwae_bound, _MISTAKES_06_1)),
        ("06.2", "samples of the posterior", "posterior_samples", _check_06_2),
        ("07.1", "active units", "my_active_units", _function_check(_cases_07_1, _active_units)),
        ("07.2", "the free-bits penalty", "my_free_bits_penalty",
         _function_check(_cases_07_2, _free_bits, _MISTAKES_07_2)),
        ("08.1", "the Frechet distance of two diagonal Gaussians", "diagonal_frechet",
         _function_check(_cases_08_1, _diagonal_frechet)),
        ("08.2", "precision", "my_precision", _function_check(_cases_08_2, _precision, _MISTAKES_08_2)),
        ("09.1", "the log-determinant of a planar map", "planar_log_det",
         _function_check(_cases_09_1, _planar_log_det)),
        ("09.2", "the encoder and generator's loss", "encoder_generator_loss",
         _function_check(_cases_09_2, _discriminator_loss_swapped, _MISTAKES_09_2)),
        ("11.1", "the posterior mean", "my_posterior_mean",
         _function_check(_cases_11_1, _posterior_mean, _MISTAKES_11_1)),
        ("11.2", "denoising with the score", "my_tweedie_x0",
         _function_check(_cases_11_2, _tweedie_x0, _MISTAKES_11_2)),
        ("11.3", "a DDIM step", "my_ddim_step",
         _function_check(_cases_11_3, _ddim_step, _MISTAKES_11_3)),
    ]
    think = [("00.2", "how many prior samples"), ("05.4", "a shared variance"),
             ("06.3", "the border between two classes"), ("07.3", "a minus sign, and beta = 8"),
             ("11.4", "why the weights can go")]
    fixes = [(f"10.{i}", task) for i, task in enumerate(["gan"] * 5 + ["vae"], 1)]
    exercises = [Exercise(key, "code", title, name, checker) for key, title, name, checker in code]
    exercises += [Exercise(key, "think", title) for key, title in think]
    exercises += [Exercise(key, "fix", f"bug {key[3:]}", f"step_{key[3:]}", _fix_checker(task))
                  for key, task in fixes]
    return {e.key: e for e in sorted(exercises, key=lambda e: (e.key[:2], int(e.key[3:])))}


def _discriminator_loss_swapped(real, fake):
    return _discriminator_loss(fake, real)   # the discriminator's loss with the roles swapped


EXERCISES: dict[str, Exercise] = _exercises()
