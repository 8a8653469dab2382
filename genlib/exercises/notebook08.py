"""The exercises of notebook 08 (GAN versus VAE): the test cases whose right results are stored."""
from __future__ import annotations

import torch

from .framework import Case, coded


def _cases_08_1():
    rng = torch.Generator().manual_seed(3)

    def vectors():
        return (torch.randn(4, generator=rng), torch.rand(4, generator=rng) + 0.1,
                torch.randn(4, generator=rng), torch.rand(4, generator=rng) + 0.1)
    cases = [Case(vectors(), "two random diagonal Gaussians in 4-D") for _ in range(2)]
    mu_a, var_a, _, var_b = vectors()
    cases.append(Case((mu_a, var_a, mu_a.clone(), var_b), "the same means, different variances"))
    mu_a, var_a, mu_b, _ = vectors()
    cases.append(Case((mu_a, var_a, mu_b, var_a.clone()), "different means, the same variances"))
    return cases


def _cases_08_2():
    from ..metrics.precision_recall import knn_radii
    rng = torch.Generator().manual_seed(4)
    real = torch.randn(200, 5, generator=rng)
    radii = knn_radii(real, 3)
    cases = [Case((real, radii, torch.randn(150, 5, generator=rng) * s + 0.5),
                  f"200 real and 150 generated points in 5-D, spread {s}") for s in (0.5, 1.0, 2.0)]
    real2 = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 5.0]])
    fake2 = torch.tensor([[1.2, 0.0], [0.2, 0.1], [9.0, 9.0], [0.0, 3.5]])
    cases.append(Case((real2, torch.tensor([0.5, 2.5, 1.0]), fake2),
                      "3 real points with balls of different sizes; one generated point lies "
                      "in a large ball but not in the ball of its nearest real point"))
    return cases


EXERCISES = [
    coded("08.1", "the Frechet distance of two diagonal Gaussians", "diagonal_frechet",
          _cases_08_1),
    coded("08.2", "precision", "my_precision", _cases_08_2),
]
