"""A multilayer-perceptron GAN for 2-D toy data (notebooks 02 and 04).

Generator G: noise z ~ N(0, I) in R^latent_dim  ->  a point G(z) in the plane.
Discriminator D: a point x  ->  a logit (D(x) = sigmoid(logit)); as a Wasserstein critic
the same network's output is used as an unbounded score f(x).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def _mlp(sizes: list[int], activation: Callable[[], nn.Module]) -> nn.Sequential:
    """Linear layers of the given widths with ``activation`` between them (none at the end)."""
    layers: list[nn.Module] = []
    for i, (width_in, width_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(width_in, width_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (B x latent_dim) -> x (B x data_dim): ``depth`` hidden ReLU layers of ``hidden`` units."""

    def __init__(self, latent_dim: int = 2, hidden: int = 128, depth: int = 3, data_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp([latent_dim] + [hidden] * depth + [data_dim], nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x (B x data_dim) -> logit (B): ``depth`` hidden LeakyReLU layers of ``hidden`` units."""

    def __init__(self, data_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.net = _mlp([data_dim] + [hidden] * depth + [1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
