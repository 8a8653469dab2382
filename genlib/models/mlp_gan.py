"""A multilayer-perceptron GAN for 2-D toy data (notebooks 02 and 04).

Generator G: noise z ~ N(0, I) in R^latent_dim  ->  a point G(z) in the plane.
Discriminator D: a point x  ->  a logit (D(x) = sigmoid(logit)); as a Wasserstein critic
the same network's output is used as an unbounded score f(x).
"""
from __future__ import annotations

import torch
from torch import nn

from .mlp import mlp


class MLPGenerator(nn.Module):
    """z (B x latent_dim) -> x (B x data_dim): ``depth`` hidden ReLU layers of ``hidden`` units."""

    def __init__(self, latent_dim: int = 2, hidden: int = 128, depth: int = 3, data_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = mlp([latent_dim] + [hidden] * depth + [data_dim], nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Points in the plane (the same as calling the generator)."""
        return self(z)


class MLPDiscriminator(nn.Module):
    """x (B x data_dim) -> logit (B): ``depth`` hidden LeakyReLU layers of ``hidden`` units."""

    def __init__(self, data_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.net = mlp([data_dim] + [hidden] * depth + [1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
