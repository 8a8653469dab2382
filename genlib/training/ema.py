"""An exponential moving average of a model's weights (notebook 03, the DCGAN recipe).

A GAN generator's weights keep moving around the equilibrium as the two players answer each
other; their running average sits closer to its centre and usually draws cleaner samples
(Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training"). After each
update of the model::

    theta_avg <- decay * theta_avg + (1 - decay) * theta

for every parameter and floating-point buffer (batch norm's running statistics are averaged
the same way); integer buffers are copied.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """Keeps ``self.model``, a copy of ``model`` whose weights are the moving average.

    Call :meth:`update` after every optimiser step of ``model``. The first ``1 / (1 - decay)``
    updates use a smaller effective decay, ``min(decay, (1 + n) / (10 + n))``, so that the
    average is not dominated by the random initial weights.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.source = model
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        source = self.source.state_dict()
        for name, value in self.model.state_dict().items():
            if value.is_floating_point():
                value.lerp_(source[name], 1.0 - decay)  # avg + (1 - decay) (theta - avg)
            else:
                value.copy_(source[name])
