"""The exercises of notebook 11 (from the VAE to diffusion): the test cases whose right results are
stored."""
from __future__ import annotations

import torch

from .framework import Case, Exercise, coded


def _diffusion_cases(seed: int, extra):
    """Cases of (tensor, tensor, schedule numbers...) at a small, a middle and a large step."""
    rng = torch.Generator().manual_seed(seed)
    steps = [(b, (1 - b) * prev, prev) for b, prev in [(0.02, 0.97), (0.1, 0.45), (0.3, 0.03)]]
    cases = []                                               # beta_t, abar_t = (1 - beta_t) abar_{t-1}, abar_{t-1}
    for (beta, abar, abar_prev), note in zip(steps, ["an early step (little noise)", "a middle step",
                                                     "a late step (almost pure noise)"]):
        a, b = torch.randn(6, 2, generator=rng), torch.randn(6, 2, generator=rng)
        cases.append(Case(extra(a, b, beta, abar, abar_prev), f"6 points in 2-D at {note}"))
    a, b = torch.randn(3, 1, 4, 4, generator=rng), torch.randn(3, 1, 4, 4, generator=rng)
    cases.append(Case(extra(a, b, *steps[1]), "3 images of 4 x 4 pixels at a middle step"))
    return cases


def _cases_11_1():
    return _diffusion_cases(110, lambda a, b, beta, abar, abar_prev: (a, b, beta, abar, abar_prev))


def _cases_11_2():
    return _diffusion_cases(111, lambda a, b, beta, abar, abar_prev: (a, b, abar))


def _cases_11_3():
    rng = torch.Generator().manual_seed(112)
    cases = []
    for (abar_t, abar_s), note in [((0.02, 0.3), "a long jump from almost pure noise"),
                                   ((0.4, 0.6), "a middle jump"), ((0.9, 1.0), "the last jump, to x_0")]:
        cases.append(Case((torch.randn(6, 2, generator=rng), torch.randn(6, 2, generator=rng), abar_t,
                           abar_s), f"6 points in 2-D, {note}"))
    cases.append(Case((torch.randn(3, 1, 4, 4, generator=rng), torch.randn(3, 1, 4, 4, generator=rng),
                       0.3, 0.5), "3 images of 4 x 4 pixels"))
    return cases


EXERCISES = [
    coded("11.1", "the posterior mean", "my_posterior_mean", _cases_11_1),
    coded("11.2", "denoising with the score", "my_tweedie_x0", _cases_11_2),
    coded("11.3", "a DDIM step", "my_ddim_step", _cases_11_3),
    Exercise('11.4', "think", 'why the weights can go'),
]
