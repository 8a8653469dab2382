"""``adam``: the optimiser of every recipe, fused where the device has the kernel.

PyTorch's Adam (Kingma & Ba 2015) has a loop, a ``foreach`` and a ``fused`` implementation of
the same update; the fused one does a tensor's whole update in one pass over memory. Adam's
``fused`` argument exists on every torch genlib supports; the kernel exists for CPU, CUDA and
MPS parameters.
"""
from __future__ import annotations

from typing import Iterable

import torch

FUSED_DEVICES = ("cpu", "cuda", "mps")


def adam(parameters: Iterable[torch.nn.Parameter], lr: float = 1e-3,
         betas: tuple[float, float] = (0.9, 0.999)) -> torch.optim.Adam:
    """``torch.optim.Adam(parameters, lr, betas)``, fused when every parameter allows it."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("adam needs at least one parameter; pass model.parameters()")
    fused = all(p.is_floating_point() and p.device.type in FUSED_DEVICES for p in parameters)
    return torch.optim.Adam(parameters, lr=lr, betas=betas, fused=fused)


@torch.no_grad()
def average_weights(average: torch.nn.Module, network: torch.nn.Module, t: int,
                    decay: float) -> None:
    """After training step ``t``, move ``average``'s weights towards ``network``'s:
    ``average <- d average + (1 - d) network`` with ``d = min(decay, (1 + t) / (10 + t))``, the
    usual warm-up, so that an early average is no stale copy of the first weights (the
    exponential moving average that notebooks 11 and 12 sample from)."""
    d = min(decay, (1 + t) / (10 + t))
    for mean, weight in zip(average.parameters(), network.parameters()):
        mean.lerp_(weight, 1 - d)
