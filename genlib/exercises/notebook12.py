"""The exercises of notebook 12 (score matching, flow matching and guidance): the test cases whose
right results are stored."""
from __future__ import annotations

import torch

from .framework import Case, coded


def _pairs(seed: int, extra):
    """Cases of two tensors of the same shape and numbers: points in 2-D and small images."""
    rng = torch.Generator().manual_seed(seed)
    cases = []
    for number, note in extra:
        a, b = torch.randn(6, 2, generator=rng), torch.randn(6, 2, generator=rng)
        cases.append(Case((a, b, number), f"6 points in 2-D, {note}"))
    a, b = torch.randn(3, 1, 4, 4, generator=rng), torch.randn(3, 1, 4, 4, generator=rng)
    cases.append(Case((a, b, extra[1][0]), "3 images of 4 x 4 pixels"))
    return cases


def _cases_12_1():   # (x_t, x0, t)
    return _pairs(120, [(0.1, "close to the data (t = 0.1)"), (0.5, "half way (t = 0.5)"),
                        (0.9, "close to the noise (t = 0.9)")])


def _velocity_field(x, t):
    """A field that depends on the point and on the time: a rotation that slows down, and a pull."""
    rotation = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=x.dtype)
    flat = x.reshape(len(x), -1)
    turned = flat[:, :2] @ rotation.T if flat.shape[1] == 2 else flat.roll(1, dims=1)
    return ((1 + t) * turned.reshape(x.shape) - (0.5 + t ** 2) * x)


def _cases_12_2():   # (velocity, x, t, h)
    rng = torch.Generator().manual_seed(121)
    cases = [Case((_velocity_field, torch.randn(6, 2, generator=rng), t, h), f"6 points in 2-D, {note}")
             for t, h, note in [(1.0, 0.25, "the first step from t = 1"), (0.5, 0.1, "a middle step"),
                                (0.2, 0.2, "the last step, to t = 0")]]
    cases.append(Case((_velocity_field, torch.randn(3, 1, 4, 4, generator=rng), 0.6, 0.05),
                      "3 images of 4 x 4 pixels"))
    return cases


def _cases_12_3():   # (v_cond, v_uncond, w)
    return _pairs(122, [(0.0, "no guidance (w = 0)"), (1.5, "w = 1.5"), (4.0, "strong guidance (w = 4)")])


def _cases_12_4():   # (eps_hat, alpha_bar_t)
    rng = torch.Generator().manual_seed(123)
    cases = [Case((torch.randn(6, 2, generator=rng), abar), f"6 points in 2-D, {note}")
             for abar, note in [(0.98, "little noise"), (0.5, "a middle noise level"), (0.02, "almost pure noise")]]
    cases.append(Case((torch.randn(3, 1, 4, 4, generator=rng), 0.3), "3 images of 4 x 4 pixels"))
    return cases


EXERCISES = [
    coded("12.1", "the flow-matching target", "my_flow_target", _cases_12_1),
    coded("12.2", "an Euler step", "my_euler_step", _cases_12_2),
    coded("12.3", "the guided velocity", "my_guided_velocity", _cases_12_3),
    coded("12.4", "the score from predicted noise", "my_score_from_noise", _cases_12_4),
]
