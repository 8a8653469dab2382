"""The exercises of notebook 09 (flows and adversarial features): the test cases whose right
results are stored."""
from __future__ import annotations

import torch

from .framework import Case, coded


def _cases_09_1():
    rng = torch.Generator().manual_seed(90)
    return [Case((torch.randn(5, 2, generator=rng), torch.tensor([0.5, -0.3]), torch.tensor([1.0, 2.0]),
                  torch.tensor(0.1)), "5 points in 2-D"),
            Case((torch.randn(7, 3, generator=rng), torch.tensor([1.0, 0.0, 0.5]),
                  torch.tensor([0.3, -1.0, 0.2]), torch.tensor(-0.5)), "7 points in 3-D"),
            Case((3 * torch.randn(6, 4, generator=rng), torch.tensor([-0.4, 0.3, 0.2, 0.1]),
                  torch.tensor([0.8, 0.5, -0.6, 1.1]), torch.tensor(0.7)),
                 "6 spread-out points in 4-D")]


def _cases_09_2():
    rng = torch.Generator().manual_seed(91)
    return [Case((torch.randn(10, generator=rng), torch.randn(10, generator=rng)),
                 "10 real and 10 generated pairs"),
            Case((torch.tensor([100.0, -100.0]), torch.tensor([-100.0, 5.0, 100.0])),
                 "very confident logits, +-100, batches of 2 and 3"),
            Case((torch.randn(7, generator=rng), 2 * torch.randn(4, generator=rng)),
                 "7 real and 4 generated pairs")]


EXERCISES = [
    coded("09.1", "the log-determinant of a planar map", "planar_log_det", _cases_09_1),
    coded("09.2", "the encoder and generator's loss", "encoder_generator_loss", _cases_09_2),
]
