"""A small convolutional VAE for square images whose side is divisible by 4 (28x28, 8x8).

Encoder: two stride-2 convolutions (28 -> 14 -> 7) and a linear layer to (mu, logvar).
Decoder: the mirror image, a linear layer and two stride-2 transposed convolutions back to
pixel logits. Likelihood and objective as for :class:`genlib.models.vae.MLPVAE`. The convolution
weights are stored channels-last (NHWC), the layout in which the CPU's convolution kernels are
fastest; the maths is the same.
"""
from __future__ import annotations

import torch
from torch import nn

from ..objectives.elbo import reparameterize


class ConvVAE(nn.Module):
    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 32,
                 width: int = 32, hidden: int = 256):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {image_size}")
        self.image_shape = (channels, image_size, image_size)
        self.latent_dim = latent_dim
        side = image_size // 4  # 7 for 28x28 images
        self.bottleneck = (2 * width, side, side)
        features = 2 * width * side * side
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.ReLU(),       # 28 -> 14
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.ReLU(),      # 14 -> 7
            nn.Flatten(), nn.Linear(features, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, features), nn.ReLU(),
            nn.Unflatten(1, self.bottleneck),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1))              # 14 -> 28
        self.to(memory_format=torch.channels_last)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of q(z|x), each B x latent_dim."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits of p(x|z), B x C x H x W."""
        return self.decoder(z)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """The decoded images in [0, 1]: sigmoid(decode(z)), the mean of p(x|z)."""
        return torch.sigmoid(self.decode(z))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(logits, mu, logvar)`` for one reparameterised sample z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar
