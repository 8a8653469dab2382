"""The small classifier behind the metrics (notebook 08): a two-block conv net.

Its penultimate layer (``features``) is the feature space of the classifier-feature Frechet
distance and of precision/recall (:mod:`genlib.metrics`); its class probabilities give the
class coverage. It takes ``1 x 28 x 28`` (MNIST, Fashion-MNIST) or ``1 x 8 x 8`` (digits)
images in [0, 1].
"""
from __future__ import annotations

import torch
from torch import nn


class SmallClassifier(nn.Module):
    """conv(3x3, stride 2) -> ReLU -> conv(3x3, stride 2) -> ReLU -> linear -> ReLU -> linear.

    Strided convolutions instead of conv + max-pool: the same 28 -> 14 -> 7 shrinking at a
    quarter of the cost, so the full-mode classifier trains in a minute or two on a CPU.

    Args:
        image_size: side of the square input images, a multiple of 4 (28 or 8).
        n_classes: number of classes (logits out of ``forward``).
        channels: channels of the first conv layer (the second has twice as many).
        feature_dim: width of the penultimate layer returned by ``features``.
    """

    def __init__(self, image_size: int = 28, n_classes: int = 10, channels: int = 32,
                 feature_dim: int = 128):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 (28 or 8), got {image_size}")
        side = image_size // 4  # two stride-2 convolutions: 28 -> 14 -> 7, 8 -> 4 -> 2
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.penultimate = nn.Sequential(
            nn.Flatten(), nn.Linear(2 * channels * side * side, feature_dim), nn.ReLU())
        self.head = nn.Linear(feature_dim, n_classes)
        self.image_size, self.n_classes = image_size, n_classes

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The ``B x feature_dim`` penultimate-layer activations (after the ReLU)."""
        return self.penultimate(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, ``B x n_classes``."""
        return self.head(self.features(x))
