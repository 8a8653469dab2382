"""The exercises of notebook 04 (the Wasserstein GAN): the test cases whose right results are
stored, and the checks that test behaviour."""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..exercise_expected import expected
from ..exercise_results import tensor_problem
from .framework import Case, Verdict, coded, first_line, judge


def _cases_04_1():
    rng = torch.Generator().manual_seed(30)
    x = torch.randn(100, generator=rng)
    return [Case((torch.randn(200, generator=rng), 2 * torch.randn(200, generator=rng) + 1),
                 "200 draws of N(0, 1) and 200 of N(1, 4)"),
            Case((torch.rand(50, generator=rng), torch.rand(50, generator=rng) ** 2),
                 "50 uniform draws and 50 squared uniform draws"),
            Case((x, x.flip(0) + 0.5), "a sample and the same sample, reordered and shifted")]


class _ProbeCritic(nn.Module):
    """A small critic whose gradient changes from point to point; it keeps its inputs."""

    def __init__(self, dim: int, seed: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 16), nn.Tanh(), nn.Linear(16, 1))
        rng = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.net.parameters():
                p.copy_(torch.randn(p.shape, generator=rng) * 0.7)
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


def _cases_04_2(rng: torch.Generator | None = None):
    """Critics and batches whose penalty does not depend on the random eps (a linear critic's
    gradient is the same everywhere; a generated batch equal to the real one leaves no choice)."""
    rng = torch.Generator().manual_seed(31) if rng is None else rng
    steep, flat = torch.tensor([0.5, -2.0, 1.0]), torch.tensor([0.3, -0.2, 0.4])
    x3 = torch.randn(64, 3, generator=rng)
    images = torch.rand(8, 1, 4, 4, generator=rng)
    return [Case((_FormulaCritic(lambda x: x @ steep), x3, torch.randn(64, 3, generator=rng)),
                 "a linear critic whose gradient has norm above 1"),
            Case((_FormulaCritic(lambda x: x @ flat), x3, torch.randn(64, 3, generator=rng)),
                 "a linear critic whose gradient has norm below 1"),
            Case((_FormulaCritic(lambda x: 0.5 * x.pow(2).sum(1)), 2 * x3, 2 * x3),
                 "a quadratic critic, the generated batch equal to the real one"),
            Case((_FormulaCritic(lambda x: (x ** 3).flatten(1).sum(1)), images, images.clone()),
                 "8 images of 1 x 4 x 4 pixels, the generated batch equal to the real one")]


def _check_04_2(answer, name):
    rng = torch.Generator().manual_seed(31)
    known = expected("04.2")
    verdict = judge(answer, _cases_04_2(rng), known.results, name, mistakes=known.mistakes)
    if not verdict:
        return verdict
    try:
        problem = _gradient_penalty_behaviour(answer, rng)
    except Exception as exc:  # the student's bug, reported
        problem = f"on random batches it raised {type(exc).__name__}: {first_line(exc)}"
    if problem:
        return Verdict(False, f"{name}: not yet - {problem}.")
    return Verdict(True, f"{name}: right!")


def _gradient_penalty_behaviour(answer, rng) -> str | None:
    # where the gradient is taken: one uniform eps per example, on points and on images
    for real, fake in [(torch.randn(256, 3, generator=rng), torch.randn(256, 3, generator=rng) + 3),
                       (torch.rand(256, 1, 4, 4, generator=rng), torch.rand(256, 1, 4, 4, generator=rng))]:
        critic = _ProbeCritic(real[0].numel())
        answer(critic, real.clone(), fake.clone())
        problem = _interpolation_problem(_penalty_points(critic.inputs, real), real, fake)
        if problem:
            return problem
    # what the penalty does to the critic: its value and its gradient at the answer's own points
    critic = _ProbeCritic(3)
    real, fake = torch.randn(32, 3, generator=rng), torch.randn(32, 3, generator=rng)
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


EXERCISES = [
    coded("04.1", "W1 of two samples", "my_w1_samples", _cases_04_1),
    coded("04.2", "the gradient penalty", "my_gradient_penalty", _cases_04_2, checker=_check_04_2),
]
