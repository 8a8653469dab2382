"""The exercises of notebook 03 (DCGAN): the test cases whose right results are stored."""
from __future__ import annotations

import torch

from .framework import Case, coded


def _cases_03_1():
    rng = torch.Generator().manual_seed(40)
    z0, z1 = torch.randn(64, generator=rng), torch.randn(64, generator=rng)
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


EXERCISES = [
    coded("03.1", "spherical interpolation", "my_slerp", _cases_03_1),
    coded("03.2", "transposed convolution size", "my_transposed_size", _cases_03_2),
]
