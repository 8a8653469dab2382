"""The exercises of notebook 00 (the latent-variable picture): the test cases whose right results
are stored."""
from __future__ import annotations

import torch

from .framework import Case, Exercise, coded


def _cases_00_1():
    from ..models.linear_gaussian import LinearGaussian
    model = LinearGaussian.random(data_dim=5, latent_dim=2, rng=torch.Generator().manual_seed(1))
    x, _ = model.sample(4, rng=torch.Generator().manual_seed(2))
    z = torch.randn(300, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    return [Case((model, x, z), "4 points and 300 prior samples"),
            Case((model, x + 40.0, z), "points far from the data, where every p(x | z_k) is "
                                       "smaller than the smallest float and exp gives 0"),
            Case((model, x[:1], z[:5]), "one point and 5 prior samples")]


EXERCISES = [
    coded("00.1", "the naive estimator", "my_naive_log_marginal", _cases_00_1),
    Exercise('00.2', "think", 'how many prior samples'),
]
