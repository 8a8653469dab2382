"""An MLP VAE whose decoder also looks at the pixels already drawn: a small PixelVAE.

The decoder of :class:`~genlib.models.vae.MLPVAE` makes the pixels independent given z:
p(x|z) = prod_i Bernoulli(x_i; sigmoid(a_i(z))). Neighbouring pixels of a binarised image are
not independent given a 32-number code (whether this patch came out dark or light says
something about the next pixel), and a VAE pays for that in nats. PixelVAE (Gulrajani et
al. 2017) lets each pixel see the pixels above and to its left (raster order):

    p(x|z) = prod_i Bernoulli(x_i; sigmoid(a_i(z) + b_i(x_<i))),

with ``a = decode(z)`` the MLP decoder and ``b = pixel_context(x)`` a masked convolution
(PixelCNN, van den Oord et al. 2016) that cannot see pixel i or any pixel after it. Still an
exact, normalised likelihood, so the ELBO and the IWAE bound keep their meaning; its price is
that sampling goes pixel by pixel (784 small steps for a 28 x 28 image).
Here ``b`` does not depend on z, so for K samples of z it is computed once per image.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .vae import MLPVAE, reparameterize


class MaskedConv2d(nn.Conv2d):
    """A same-size convolution whose kernel sees only pixels above, and to the left in the
    same row. Mask ``"A"`` also hides the centre pixel (first layer: pixel i must not see
    itself); mask ``"B"`` keeps it (later layers: position i holds features of x_<i only)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 mask_type: str = "A"):
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        mask = torch.ones_like(self.weight)
        c = kernel_size // 2
        mask[:, :, c, c + (mask_type == "B"):] = 0  # the centre row: from the centre (A) or after it (B)
        mask[:, :, c + 1:, :] = 0                    # every row below
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelMLPVAE(MLPVAE):
    """:class:`MLPVAE` (Bernoulli likelihood) plus a pixel context ``b(x_<i)`` added to the
    decoder's logits: a masked 1 -> ``channels`` convolution, ReLU, and a 1 x 1 read-out."""

    autoregressive = True  # the likelihood needs x: see genlib.metrics.likelihood

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden=(512,),
                 channels: int = 8, kernel_size: int = 7):
        super().__init__(image_shape, latent_dim, hidden, likelihood="bernoulli")
        self.pixel_context = nn.Sequential(
            MaskedConv2d(self.image_shape[0], channels, kernel_size, "A"), nn.ReLU(),
            nn.Conv2d(channels, self.image_shape[0], 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(logits of p(x_i | z, x_<i), mu, logvar)`` for one z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        x = x.view(-1, *self.image_shape)
        return self.decode(reparameterize(mu, logvar)) + self.pixel_context(x), mu, logvar

    @torch.no_grad()
    def sample_given(self, z: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
        """Binary images drawn from p(x|z), one pixel at a time in raster order."""
        base = self.decode(z)
        x = torch.zeros_like(base)
        _, height, width = self.image_shape
        for row in range(height):
            for col in range(width):
                logits = base[:, :, row, col] + self.pixel_context(x)[:, :, row, col]
                x[:, :, row, col] = torch.bernoulli(torch.sigmoid(logits), generator=generator)
        return x
