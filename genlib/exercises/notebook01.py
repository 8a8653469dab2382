"""The exercises of notebook 01 (the GAN value function): the test cases whose right results are
stored."""
from __future__ import annotations

import torch

from .framework import Case, coded


def _cases_01_1():
    rng = torch.Generator().manual_seed(10)
    return [Case((torch.tensor([0.2, 1.0, 3.0]), torch.tensor([0.6, 1.0, 0.5])), "three points"),
            Case((torch.rand(4, 5, generator=rng) + 0.01, torch.rand(4, 5, generator=rng) + 0.01),
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
    rng = torch.Generator().manual_seed(11)
    return [Case((torch.randn(50, generator=rng), torch.randn(60, generator=rng)),
                 "50 real and 60 generated logits"),
            Case((torch.tensor([200.0, -200.0, 3.0]), torch.tensor([-200.0, 200.0])),
                 "very confident logits, +-200"),
            Case((3 * torch.randn(4, 3, generator=rng), 3 * torch.randn(5, 2, generator=rng)),
                 "logits in 2-D batches of different sizes")]


EXERCISES = [
    coded("01.1", "optimal discriminator", "my_optimal_discriminator", _cases_01_1),
    coded("01.2", "Jensen-Shannon divergence with zeros", "my_js_divergence", _cases_01_2),
    coded("01.3", "a value function that never says -inf", "my_gan_value", _cases_01_3),
]
