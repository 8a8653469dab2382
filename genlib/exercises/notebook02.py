"""The exercises of notebook 02 (GAN training dynamics): the test cases whose right results are
stored."""
from __future__ import annotations

import torch

from .framework import Case, coded


def _toys():
    from ..data import toy2d
    return toy2d.get("ring8"), toy2d.get("grid25")


def _cases_02_1():
    ring, grid = _toys()
    rng = torch.Generator().manual_seed(20)
    ring_samples = ring.sample(500, rng=rng) * 1.03
    return [Case((ring_samples, ring.modes, ring.std),
                 "500 samples near the ring of 8, some just beyond 3 std"),
            Case((grid.sample(300, rng=rng) + 0.1 * torch.randn(300, 2, generator=rng),
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
            Case((ring.sample(1000, rng=torch.Generator().manual_seed(21)), modes, ring.std),
                 "1000 samples of the ring itself"),
            Case((collapsed, modes, ring.std, 0.001), "the first case with min_share = 0.001"),
            Case((scattered, modes, ring.std),
                 "495 and 5 samples at two modes, 500 far from every mode"),
            Case((exactly_at_share, modes, ring.std),
                 "990 and 10 samples at two modes: 10 of 1000 is exactly the minimum share")]


EXERCISES = [
    coded("02.1", "the high-quality share", "my_high_quality_share", _cases_02_1),
    coded("02.2", "how fast the simultaneous game spirals out", "my_simultaneous_radius",
          _cases_02_2, atol=1e-05, rtol=1e-06),
    coded("02.3", "modes covered", "my_modes_covered", _cases_02_3),
]
