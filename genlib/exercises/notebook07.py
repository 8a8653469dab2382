"""The exercises of notebook 07 (beta-VAE and the conditional VAE): the test cases whose right
results are stored."""
from __future__ import annotations

import torch

from .framework import Case, Exercise, coded


def _codes_with_variances(variances, n=400, seed=70, means=None):
    z = torch.randn(n, len(variances), generator=torch.Generator().manual_seed(seed))
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
    rng = torch.Generator().manual_seed(71)
    cases = [Case((torch.randn(16, 6, generator=rng) * s, torch.randn(16, 6, generator=rng) * 0.5, lam),
                  f"16 examples, 6 dimensions, lam = {lam}")
             for s, lam in [(0.1, 0.5), (2.0, 0.25), (1.0, 0.0)]]
    mu = torch.cat([torch.randn(32, 3, generator=rng) * 2, torch.randn(32, 3, generator=rng) * 0.05], 1)
    logvar = torch.cat([torch.full((32, 3), -1.0), torch.zeros(32, 3)], 1)
    return cases + [Case((mu, logvar, 0.5), "3 busy and 3 almost collapsed dimensions, lam = 0.5")]


EXERCISES = [
    coded("07.1", "active units", "my_active_units", _cases_07_1),
    coded("07.2", "the free-bits penalty", "my_free_bits_penalty", _cases_07_2),
    Exercise('07.3', "think", 'a minus sign, and beta = 8'),
]
