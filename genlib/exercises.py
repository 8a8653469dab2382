"""Self-checks for the notebooks' exercises.

``check("05.2", my_beta_vae_loss)`` runs your answer to exercise 2 of notebook 05 on test cases
built here, compares its results with the right ones stored as numbers (``exercise_expected.json``,
written from independent references that are not part of the package: the library's objective
or metric, SciPy, a simulation, the layer itself) and prints a verdict:

* "right!" when every case agrees;
* otherwise the case that failed, described in words, and what kind of mistake it looks like:
  a shape, NaN or Inf, the wrong sign, a result that is not a real tensor or number, and for a
  tensor of several values one common factor or one common offset. Some frequent mistakes are
  named (the discriminator's loss where the generator's is asked for, a KL with the wrong sign),
  from their stored results. A verdict never holds a value, factor or difference from which the
  right result could be recovered.

Where one value cannot tell right from wrong, the check tests behaviour: the gradient
penalty's gradient must reach the critic's weights, at points between real and generated
examples with one random eps each (04.2); posterior samples are judged by their distribution,
whatever random number generator drew them (06.2); a fixed training step must still train the
model it fixes (notebook 10, :func:`genlib.pitfalls.check_fix`). genlib's own functions are
refused as answers.

A check runs in an :func:`genlib.exercise_state.answer_session`: whatever the answer changes in
the session (gradient mode, default dtype or device, threads, deterministic algorithms, the
random number generator) is put back afterwards, and the verdict says what was changed.

Every exercise of the notebooks is registered in ``EXERCISES``: its key is the notebook's number
and the exercise's ("02.3"), matching the heading "### Exercise 3" of notebook 02 ("### Bug 3" in
notebook 10).
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from torch import nn

from .exercise_expected import KnownMistake, expected, to_result, to_tensor
from .exercise_results import NONFINITE, diagnose, tensor_problem
from .exercise_state import Watched, answer_session, with_changes


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


# ---------------------------------------------------------------- comparing results
def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _fresh(args: tuple) -> tuple:
    """Copies of the tensor arguments, so that an answer working in place changes nothing."""
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _library_object(answer) -> bool:
    target = inspect.unwrap(answer)
    while isinstance(target, functools.partial):
        target = inspect.unwrap(target.func)
    target = inspect.unwrap(getattr(target, "__func__", target))
    module = getattr(target, "__module__", None) or ""
    return module.split(".")[0] in ("genlib", "instructor")


def refusal(answer, name: str, reference: Callable | None = None) -> str | None:
    """Why ``answer`` cannot be checked as the student's own (None: it can)."""
    answer = inspect.unwrap(answer) if callable(answer) else answer
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
    return f"{name}: this is {whose}, not an answer - write it yourself in the exercise's cell"


def _verdict(passed: bool, message: str, quiet: bool) -> Verdict:
    if not quiet:
        print(message)
    return Verdict(passed, message)


def _case_label(i: int, case: Case) -> str:
    return f"on test case {i} ({case.note})" if case.note else f"on test case {i}"


def judge(answer: Callable, cases: list[Case], results: Iterable[torch.Tensor], name: str,
          atol: float = 1e-5, rtol: float = 1e-4,
          mistakes: Iterable[KnownMistake] = ()) -> Verdict:
    """Compare ``answer(*case.args)`` with the right ``results``, case by case (nothing printed).

    The first case that disagrees is reported with its note and the kind of mistake, or the
    message of a known mistake whose results the answer reproduces on every case.
    """
    mistakes = list(mistakes)
    for i, (case, want) in enumerate(zip(cases, results, strict=True), 1):
        try:
            got = answer(*_fresh(case.args))
        except ExerciseNotDone:
            return Verdict(False, f"{name}: {NOT_DONE}")
        except Exception as exc:  # the student's bug, reported, not raised
            return Verdict(False, f"{name}: not yet - {_case_label(i, case)} it raised "
                                  f"{type(exc).__name__}: {_first_line(exc)}")
        problem = diagnose(got, want, atol, rtol)
        if problem:
            problem = _known_mistake(answer, cases, mistakes, atol, rtol) or problem
            return Verdict(False, f"{name}: not yet - {_case_label(i, case)}, {problem}.")
    return Verdict(True, f"{name}: right!")


def _known_mistake(answer, cases: list[Case], mistakes: list[KnownMistake], atol: float,
                   rtol: float) -> str | None:
    """The message of the first mistake whose results the answer reproduces on every case
    where the answer is finite (a mistake may come with a NaN elsewhere, say 0 / 0)."""
    if not mistakes:
        return None
    try:
        answers = [answer(*_fresh(case.args)) for case in cases]
    except Exception:  # the answer fails somewhere: name no mistake
        return None
    finite = [i for i, got in enumerate(answers) if _all_finite(got)]
    for mistake in mistakes:
        if not finite or any(result is None for result in mistake.results):
            continue   # a mistake that does not apply to these cases
        if all(diagnose(answers[i], mistake.results[i], atol, rtol) is None for i in finite):
            return mistake.message
    return None


def _all_finite(result) -> bool:
    try:
        return bool(torch.isfinite(torch.as_tensor(result, dtype=torch.float64)).all())
    except Exception:  # not numbers: let diagnose name it
        return True


def _results(function: Callable, cases: list[Case]) -> tuple | None:
    try:
        return tuple(to_tensor(to_result(function(*_fresh(case.args)))) for case in cases)
    except Exception:  # a mistake that does not apply to these cases
        return None


def check_function(answer: Callable, reference: Callable, cases: Iterable, name: str = "your function",
                   atol: float = 1e-5, rtol: float = 1e-4, mistakes: Iterable[Mistake] = (),
                   quiet: bool = False) -> Verdict:
    """Compare ``answer(*case)`` with ``reference(*case)`` for every case; print a verdict.

    ``cases`` holds :class:`Case` objects (or plain argument tuples); a known ``mistake`` whose
    results the answer reproduces is named. Never prints the reference's values. (The
    notebooks' exercises use :func:`check`, whose right results are stored, not computed.)
    """
    problem = refusal(answer, name, reference)
    if problem:
        return _verdict(False, problem, quiet)
    cases = [case if isinstance(case, Case) else Case(tuple(case)) for case in cases]
    known = [KnownMistake(m.message, _results(m.function, cases) or (None,)) for m in mistakes]
    wants = _results(reference, cases)
    if wants is None:
        raise ValueError("reference raises on one of the cases: fix the reference or the cases")
    changes: list[str] = []
    with answer_session():
        verdict = judge(Watched(answer, changes), cases, wants, name, atol, rtol, known)
    return _verdict(verdict.passed, with_changes(verdict.message, changes), quiet)


# ---------------------------------------------------------------- the exercises
@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook.

    ``kind``: "code" (a function, checked by :func:`check`), "fix" (notebook 10: a broken
    training step to repair, checked by :func:`genlib.pitfalls.check_fix`) or "think" (answered
    in words). ``name``: the function the student writes. ``cases``: the test cases whose right
    results are stored (coded exercises), ``checker(answer, name, **context)``: the verdict.
    """
    key: str
    kind: str
    title: str
    name: str = ""
    checker: Callable | None = field(default=None, compare=False, repr=False)
    cases: Callable | None = field(default=None, compare=False, repr=False)


def build_cases(key: str) -> list[Case]:
    """The test cases of exercise ``key`` whose right results are stored, built as the check
    builds them."""
    exercise = EXERCISES.get(key)
    if exercise is None or exercise.cases is None:
        stored = sorted(k for k, e in EXERCISES.items() if e.cases is not None)
        raise ValueError(f"key {key!r} has no stored test cases: the keys are {', '.join(stored)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return list(exercise.cases())


def check(key: str, answer: Callable, quiet: bool = False, **context) -> Verdict:
    """Check ``answer`` to exercise ``key`` ("NN.k": notebook NN, exercise k) and print a
    verdict sentence; ``context`` passes what a check can use from the notebook (06.2: the
    notebook's trained ``vae`` and an image ``x``). What the answer changes in the session is
    put back, and the verdict says so."""
    exercise = EXERCISES.get(key)
    if exercise is None or exercise.checker is None:
        coded = sorted(k for k, e in EXERCISES.items() if e.checker is not None)
        raise ValueError(f"no checked exercise {key!r}: the keys are {', '.join(coded)}")
    if exercise.kind == "fix":   # check_fix runs its own session and prints its own verdict
        return exercise.checker(answer, exercise.name, quiet=quiet, **context)
    problem = refusal(answer, exercise.name)
    if problem:
        return _verdict(False, problem, quiet)
    with answer_session() as changes:
        verdict = exercise.checker(Watched(answer, changes), exercise.name, **context)
    return _verdict(verdict.passed, with_changes(verdict.message, changes), quiet)


def _stored_check(key: str, atol: float = 1e-5, rtol: float = 1e-4):
    """A checker comparing an answer with the stored right results of ``key``'s cases."""
    def checker(answer, name, **context):
        if context:
            raise TypeError(f"check({key!r}) takes no notebook context, got "
                            f"{', '.join(sorted(context))}: call check({key!r}, your_function)")
        torch.manual_seed(0)   # inside the session: the notebook's generator is left alone
        known = expected(key)
        return judge(answer, build_cases(key), known.results, name, atol, rtol, known.mistakes)
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






# 01 ------------------------------------------------------------- the value function
def _cases_01_1():
    g = _gen(10)
    return [Case((torch.tensor([0.2, 1.0, 3.0]), torch.tensor([0.6, 1.0, 0.5])), "three points"),
            Case((torch.rand(4, 5, generator=g) + 0.01, torch.rand(4, 5, generator=g) + 0.01),
                 "a 4 x 5 batch of density values"),
            Case((torch.tensor([1e-30, 5.0]), torch.tensor([4.0, 1e-30])),
                 "points where one of the densities is almost 0")]




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






def _cases_01_3():
    g = _gen(11)
    return [Case((torch.randn(50, generator=g), torch.randn(60, generator=g)),
                 "50 real and 60 generated logits"),
            Case((torch.tensor([200.0, -200.0, 3.0]), torch.tensor([-200.0, 200.0])),
                 "very confident logits, +-200"),
            Case((3 * torch.randn(4, 3, generator=g), 3 * torch.randn(5, 2, generator=g)),
                 "logits in 2-D batches of different sizes")]










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




def _cases_02_2():
    return [Case((0.1, 100), "eta = 0.1, 100 steps"), Case((0.3, 17), "eta = 0.3, 17 steps"),
            Case((0.05, 400), "eta = 0.05, 400 steps"), Case((1.0, 3), "eta = 1, 3 steps"),
            Case((0.5, 0), "no step at all")]




def _cases_02_3():
    ring, _ = _toys()
    modes = ring.modes
    collapsed = torch.cat([modes[0].expand(900, 2), modes[5].expand(95, 2), modes[2].expand(5, 2)])
    scattered = torch.cat([modes[0].expand(495, 2), modes[1].expand(5, 2),
                           modes[3].expand(500, 2) + 1.0])
    exactly_at_share = torch.cat([modes[0].expand(990, 2), modes[4].expand(10, 2)])   # ">=" counts it
    return [Case((collapsed, modes, ring.std), "1000 samples at 3 modes: 900, 95 and 5"),
            Case((ring.sample(1000, generator=_gen(21)), modes, ring.std),
                 "1000 samples of the ring itself"),
            Case((collapsed, modes, ring.std, 0.001), "the first case with min_share = 0.001"),
            Case((scattered, modes, ring.std),
                 "495 and 5 samples at two modes, 500 far from every mode"),
            Case((exactly_at_share, modes, ring.std),
                 "990 and 10 samples at two modes: 10 of 1000 is exactly the minimum share")]




# 03 ------------------------------------------------------------- DCGAN
def _cases_03_1():
    g = _gen(40)
    z0, z1 = torch.randn(64, generator=g), torch.randn(64, generator=g)
    return ([Case((z0, z1, t), f"two 64-d codes, t = {t}") for t in (0.3, 0.0, 1.0, 0.5)]
            + [Case((z0, 3 * z1, 0.7), "endpoints of different lengths, t = 0.7"),
               Case((z0, z0.clone(), 0.3), "two equal codes, omega = 0, t = 0.3"),
               Case((z0, 2 * z0, 0.6), "codes pointing the same way, of different lengths, t = 0.6")])






def _cases_03_2():
    return [Case((7, 4, 2, 1), "n = 7, kernel 4, stride 2, padding 1"),
            Case((1, 7, 1, 0), "n = 1, kernel 7, stride 1, padding 0"),
            Case((5, 3, 3, 0), "n = 5, kernel 3, stride 3, padding 0"),
            Case((10, 5, 2, 2), "n = 10, kernel 5, stride 2, padding 2"),
            Case((3, 2, 2, 0), "n = 3, kernel 2, stride 2, padding 0")]




# 04 ------------------------------------------------------------- Wasserstein GAN
def _cases_04_1():
    g = _gen(30)
    x = torch.randn(100, generator=g)
    return [Case((torch.randn(200, generator=g), 2 * torch.randn(200, generator=g) + 1),
                 "200 draws of N(0, 1) and 200 of N(1, 4)"),
            Case((torch.rand(50, generator=g), torch.rand(50, generator=g) ** 2),
                 "50 uniform draws and 50 squared uniform draws"),
            Case((x, x.flip(0) + 0.5), "a sample and the same sample, reordered and shifted")]




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

    def input_gradient(self, x: torch.Tensor) -> torch.Tensor:
        """d score / d x, written out for this network: W2 diag(1 - tanh(W1 x + b1)^2) W1."""
        first, _, last = self.net
        hidden = torch.tanh(x.flatten(1) @ first.weight.T + first.bias)     # B x 16
        return ((1 - hidden ** 2) * last.weight) @ first.weight             # B x dim

    def penalty(self, x: torch.Tensor) -> torch.Tensor:
        """(||grad_x score|| - 1)^2 averaged over the batch, from the written-out gradient."""
        return ((self.input_gradient(x).norm(dim=1) - 1) ** 2).mean()


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


class _FormulaCritic(nn.Module):
    """A critic given by a formula, as an nn.Module: an answer may call .eval() or .zero_grad()
    on it as on the notebook's critic."""

    def __init__(self, formula: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.formula = formula

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.formula(x)


def _cases_04_2(g: torch.Generator | None = None):
    """Critics and batches whose penalty does not depend on the random eps (a linear critic's
    gradient is the same everywhere; a generated batch equal to the real one leaves no choice)."""
    g = _gen(31) if g is None else g
    steep, flat = torch.tensor([0.5, -2.0, 1.0]), torch.tensor([0.3, -0.2, 0.4])
    x3 = torch.randn(64, 3, generator=g)
    images = torch.rand(8, 1, 4, 4, generator=g)
    return [Case((_FormulaCritic(lambda x: x @ steep), x3, torch.randn(64, 3, generator=g)),
                 "a linear critic whose gradient has norm above 1"),
            Case((_FormulaCritic(lambda x: x @ flat), x3, torch.randn(64, 3, generator=g)),
                 "a linear critic whose gradient has norm below 1"),
            Case((_FormulaCritic(lambda x: 0.5 * x.pow(2).sum(1)), 2 * x3, 2 * x3),
                 "a quadratic critic, the generated batch equal to the real one"),
            Case((_FormulaCritic(lambda x: (x ** 3).flatten(1).sum(1)), images, images.clone()),
                 "8 images of 1 x 4 x 4 pixels, the generated batch equal to the real one")]


def _check_04_2(answer, name):
    g = _gen(31)
    known = expected("04.2")
    verdict = judge(answer, _cases_04_2(g), known.results, name, mistakes=known.mistakes)
    if not verdict:
        return verdict
    try:
        problem = _gradient_penalty_behaviour(answer, g)
    except Exception as exc:  # the student's bug, reported
        problem = f"on random batches it raised {type(exc).__name__}: {_first_line(exc)}"
    if problem:
        return Verdict(False, f"{name}: not yet - {problem}.")
    return Verdict(True, f"{name}: right!")


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
    if isinstance(penalty, torch.Tensor) and tensor_problem(penalty):
        return tensor_problem(penalty)
    if not isinstance(penalty, torch.Tensor) or not penalty.requires_grad:
        return no_graph
    yours = torch.autograd.grad(penalty, weights, allow_unused=True)
    if all(gr is None or not gr.abs().sum() for gr in yours):
        return no_graph
    reference = critic.penalty(_penalty_points(critic.inputs, real).detach())
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






def _cases_05_2():
    g = _gen(51)

    def case(shape, beta, note):
        x = torch.bernoulli(torch.full(shape, 0.4), generator=g)
        return Case((x, torch.randn(shape, generator=g), torch.randn(shape[0], 3, generator=g),
                     torch.randn(shape[0], 3, generator=g), beta), note)
    return [case((4, 20), 1.0, "4 examples of 20 pixels, beta = 1"),
            case((4, 20), 4.0, "4 examples of 20 pixels, beta = 4"),
            case((3, 1, 4, 5), 0.5, "3 images of 1 x 4 x 5 pixels, beta = 0.5")]






def _cases_05_3():
    return [Case((784, 1.0), "D = 784, weight 1"), Case((64, 1.0), "D = 64, weight 1"),
            Case((15, 1.0), "D = 15, weight 1"), Case((784, 1000.0), "D = 784, weight 1000"),
            Case((100, 0.5), "D = 100, weight 0.5")]




# 06 ------------------------------------------------------------- VAEs on images
def _cases_06_1():
    g = _gen(60)
    return [Case((-300 + 3 * torch.randn(50, 3, generator=g),),
                 "50 log-weights for each of 3 images, around -300 nats as for real images"),
            Case((50 * torch.randn(7, 4, generator=g),), "log-weights spread over hundreds of nats"),
            Case((torch.randn(1, 5, generator=g),), "K = 1"),
            Case((torch.randn(6, 2, 3, generator=g) - 100,), "a 6 x 2 x 3 tensor, K = 6")]






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
    if tensor_problem(out):
        return tensor_problem(out)
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


def _check_06_2(answer, name, vae=None, x=None):
    n = 2000
    probe = _ProbeVAE()
    try:
        problem = _posterior_sample_problem(answer(probe, torch.zeros(1, 1, 28, 28), n), probe, n)
        if problem is None and vae is not None and x is not None:
            out = answer(vae, x)
            shape = (8, *x.shape[1:])
            if isinstance(out, torch.Tensor) and tensor_problem(out):
                problem = tensor_problem(out)
            elif not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
                got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                problem = (f"with the notebook's model and the default n it returned "
                           f"{got}, expected shape {shape}")
            elif out.min() < 0 or out.max() > 1:
                problem = "with the notebook's model it returned values outside [0, 1]"
    except ExerciseNotDone:
        return Verdict(False, f"{name}: {NOT_DONE}")
    except Exception as exc:  # the student's bug, reported
        problem = f"it raised {type(exc).__name__}: {_first_line(exc)}"
    if problem:
        return Verdict(False, f"{name}: not yet - {problem}.")
    return Verdict(True, f"{name}: right!")


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




def _cases_07_2():
    g = _gen(71)
    cases = [Case((torch.randn(16, 6, generator=g) * s, torch.randn(16, 6, generator=g) * 0.5, lam),
                  f"16 examples, 6 dimensions, lam = {lam}")
             for s, lam in [(0.1, 0.5), (2.0, 0.25), (1.0, 0.0)]]
    mu = torch.cat([torch.randn(32, 3, generator=g) * 2, torch.randn(32, 3, generator=g) * 0.05], 1)
    logvar = torch.cat([torch.full((32, 3), -1.0), torch.zeros(32, 3)], 1)
    return cases + [Case((mu, logvar, 0.5), "3 busy and 3 almost collapsed dimensions, lam = 0.5")]








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




def _cases_09_2():
    g = _gen(91)
    return [Case((torch.randn(10, generator=g), torch.randn(10, generator=g)),
                 "10 real and 10 generated pairs"),
            Case((torch.tensor([100.0, -100.0]), torch.tensor([-100.0, 5.0, 100.0])),
                 "very confident logits, +-100, batches of 2 and 3"),
            Case((torch.randn(7, generator=g), 2 * torch.randn(4, generator=g)),
                 "7 real and 4 generated pairs")]






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






def _cases_11_2():
    return _diffusion_cases(111, lambda a, b, beta, abar, abar_prev: (a, b, abar))






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






# 10 ------------------------------------------------------------- spot the bug
def _fix_checker(task: str):
    def checker(answer, name, quiet=False):
        from .pitfalls import check_fix
        return check_fix(answer, task, name=name, quiet=quiet)
    return checker


def _exercises() -> dict[str, Exercise]:
    code = [   # key, title, the function's name, its cases, tolerances (atol, rtol)
        ("00.1", "the naive estimator", "my_naive_log_marginal", _cases_00_1),
        ("01.1", "optimal discriminator", "my_optimal_discriminator", _cases_01_1),
        ("01.2", "Jensen-Shannon divergence with zeros", "my_js_divergence", _cases_01_2),
        ("01.3", "a value function that never says -inf", "my_gan_value", _cases_01_3),
        ("02.1", "the high-quality share", "my_high_quality_share", _cases_02_1),
        ("02.2", "how fast the simultaneous game spirals out", "my_simultaneous_radius", _cases_02_2,
         (1e-5, 1e-6)),
        ("02.3", "modes covered", "my_modes_covered", _cases_02_3),
        ("03.1", "spherical interpolation", "my_slerp", _cases_03_1),
        ("03.2", "transposed convolution size", "my_transposed_size", _cases_03_2),
        ("04.1", "W1 of two samples", "my_w1_samples", _cases_04_1),
        ("04.2", "the gradient penalty", "my_gradient_penalty", _cases_04_2),
        ("05.1", "the Gaussian KL", "my_gaussian_kl", _cases_05_1),
        ("05.2", "the beta-VAE loss", "my_beta_vae_loss", _cases_05_2),
        ("05.3", "the variance a mean squared error implies", "implied_variance", _cases_05_3,
         (1e-5, 1e-6)),
        ("06.1", "the importance-weighted bound", "my_iwae_bound", _cases_06_1),
        ("06.2", "samples of the posterior", "posterior_samples", None),
        ("07.1", "active units", "my_active_units", _cases_07_1),
        ("07.2", "the free-bits penalty", "my_free_bits_penalty", _cases_07_2),
        ("08.1", "the Frechet distance of two diagonal Gaussians", "diagonal_frechet", _cases_08_1),
        ("08.2", "precision", "my_precision", _cases_08_2),
        ("09.1", "the log-determinant of a planar map", "planar_log_det", _cases_09_1),
        ("09.2", "the encoder and generator's loss", "encoder_generator_loss", _cases_09_2),
        ("11.1", "the posterior mean", "my_posterior_mean", _cases_11_1),
        ("11.2", "denoising with the score", "my_tweedie_x0", _cases_11_2),
        ("11.3", "a DDIM step", "my_ddim_step", _cases_11_3),
    ]
    behaviour = {"04.2": _check_04_2, "06.2": _check_06_2}
    exercises = []
    for key, title, name, cases, *tolerance in code:
        checker = behaviour.get(key) or _stored_check(key, *(tolerance[0] if tolerance else ()))
        exercises.append(Exercise(key, "code", title, name, checker, cases))
    think = [("00.2", "how many prior samples"), ("05.4", "a shared variance"),
             ("06.3", "the border between two classes"), ("07.3", "a minus sign, and beta = 8"),
             ("11.4", "why the weights can go")]
    fixes = [(f"10.{i}", task) for i, task in enumerate(["gan"] * 5 + ["vae"], 1)]
    exercises += [Exercise(key, "think", title) for key, title in think]
    exercises += [Exercise(key, "fix", f"bug {key[3:]}", f"step_{key[3:]}", _fix_checker(task))
                  for key, task in fixes]
    return {e.key: e for e in sorted(exercises, key=lambda e: (e.key[:2], int(e.key[3:])))}


EXERCISES: dict[str, Exercise] = _exercises()
