"""An MLP VAE whose decoder also looks at the pixels already drawn: a small PixelVAE.

The decoder of :class:`~genlib.models.vae.MLPVAE` makes the pixels independent given z:
p(x|z) = prod_i Bernoulli(x_i; sigmoid(a_i(z))). Neighbouring pixels of a binarised image are
not independent given a 32-number code (whether this patch came out dark or light says
something about the next pixel), and a VAE pays for that in nats. PixelVAE (Gulrajani et
al. 2017) lets each pixel see the pixels before it in raster order (above, and to its left):

    p(x|z) = prod_i Bernoulli(x_i; sigmoid(a_i(z) + b_i(x_<i, z))),

with ``a = decode(z)`` the MLP decoder and ``b = pixel_context`` a network that cannot see
pixel i or any pixel after it. Two such contexts are here:

* ``context="conv"``: a masked convolution (PixelCNN, van den Oord et al. 2016) over the
  pixels near pixel i, then a 1 x 1 read-out; b does not depend on z.
* ``context="made"``: masked linear layers over the whole image (MADE, Germain et al. 2015),
  whose hidden units may also see z (``condition_on_z``), so the way a pixel follows its
  predecessors can change with what z says about the image.

Either way the likelihood is still exact and normalised, so the ELBO and the IWAE bound keep
their meaning. The price is sampling pixel by pixel: 784 small steps for a 28 x 28 image.
The parts of b that depend on x only are computed once per image for K samples of z.
"""
from __future__ import annotations

import math

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


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by a fixed 0/1 ``mask`` (``out x in``): output
    o sees input j only where ``mask[o, j]`` is 1."""

    def __init__(self, mask: torch.Tensor):
        super().__init__(mask.shape[1], mask.shape[0])
        self.register_buffer("mask", mask.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADEContext(nn.Module):
    """b(x_<i) for flattened images by masked linear layers (MADE, Germain et al. 2015), in
    raster order. Pixel j has degree j + 1, hidden unit k a degree m_k in [1, pixels - 1];
    a hidden unit sees the pixels of degree <= m_k, output i the hidden units with m_k <= i,
    so output i depends on x_<i only:

        b(x, z) = W x + V relu(U x + A z + c)        (W, U, V masked; A only with z_dim > 0)

    ``hidden=0`` keeps only W x, a strictly lower-triangular map: the fully visible sigmoid
    belief net (Frey 1998). With ``z_dim`` the hidden units also see the latent code, so the
    way a pixel depends on the pixels before it can change with z; z is not x, so A is not
    masked."""

    def __init__(self, pixels: int, hidden: int = 0, z_dim: int = 0):
        super().__init__()
        degree = torch.arange(1, pixels + 1)                             # of each pixel
        self.direct = MaskedLinear(degree[:, None] > degree[None, :])     # W: pixels x pixels
        self.hidden = hidden
        if hidden:
            m = 1 + torch.arange(hidden) * (pixels - 1) // hidden         # of each hidden unit
            self.to_hidden = MaskedLinear(m[:, None] >= degree[None, :])  # U: hidden x pixels
            self.from_hidden = MaskedLinear(degree[:, None] > m[None, :])  # V: pixels x hidden
            self.from_z = nn.Linear(z_dim, hidden, bias=False) if z_dim else None  # A

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: B x pixels; ``z``: K x B x z_dim (K samples per image) or None.
        Returns b, B x pixels (K x B x pixels with z); W x and U x are computed once."""
        b = self.direct(x)
        if self.hidden:
            pre = self.to_hidden(x)
            if self.from_z is not None:
                pre = pre + self.from_z(z)
            b = b + self.from_hidden(F.relu(pre))
        return b


class PixelMLPVAE(MLPVAE):
    """:class:`MLPVAE` (Bernoulli likelihood) plus a pixel context b(x_<i) added to the
    decoder's logits: with ``context="conv"`` a masked ``kernel_size`` convolution to
    ``channels`` features, ReLU and a 1 x 1 read-out (PixelVAE's local context); with
    ``context="made"`` a :class:`MADEContext` over the whole image (``made_hidden`` units,
    seeing z too with ``condition_on_z``). On a CPU the MADE's matrix products run many
    times faster than a convolution of the same arithmetic (``bench/bench_vae.py``)."""

    autoregressive = True  # the likelihood needs x: see genlib.metrics.likelihood

    def __init__(self, image_shape=(1, 28, 28), latent_dim: int = 32, hidden=(512,),
                 channels: int = 8, kernel_size: int = 7, context: str = "conv",
                 made_hidden: int = 0, condition_on_z: bool = False):
        super().__init__(image_shape, latent_dim, hidden, likelihood="bernoulli")
        c = self.image_shape[0]
        if condition_on_z and (context != "made" or made_hidden < 1):
            raise ValueError("condition_on_z needs context='made' with made_hidden >= 1 "
                             "(z reaches the context through the MADE's hidden units)")
        if context == "conv":
            self.pixel_context = nn.Sequential(MaskedConv2d(c, channels, kernel_size, "A"),
                                               nn.ReLU(), nn.Conv2d(channels, c, 1))
        elif context == "made":
            self.pixel_context = MADEContext(math.prod(self.image_shape), made_hidden,
                                             latent_dim if condition_on_z else 0)
        else:
            raise ValueError(f"context must be 'conv' or 'made', got {context!r}")
        self.context = context
        self.condition_on_z = condition_on_z

    def pixel_logits(self, base: torch.Tensor, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Logits of p(x_i | z, x_<i) = a_i(z) + b_i(x_<i[, z]) for K samples of z per image:
        ``base = decode(z)`` and ``z`` sample-major (``K*B x C x H x W``, ``K*B x d``),
        ``x`` the B images they are scored on (``B x C x H x W``)."""
        batch = x.shape[0]
        k = base.shape[0] // batch
        if self.context == "conv":
            b = self.pixel_context(x.view(-1, *self.image_shape))              # once per image
        else:
            b = self.pixel_context(x.flatten(1), z.view(k, batch, -1) if self.condition_on_z
                                   else None)
        return (base.view(k, batch, *self.image_shape)
                + b.view(-1, batch, *self.image_shape)).flatten(0, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(logits of p(x_i | z, x_<i), mu, logvar)`` for one z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return self.pixel_logits(self.decode(z), x, z), mu, logvar

    @torch.no_grad()
    def sample_given(self, z: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
        """Binary images drawn from p(x|z), one pixel at a time in raster order."""
        base = self.decode(z)
        x = torch.zeros_like(base)
        _, height, width = self.image_shape
        for row in range(height):
            for col in range(width):
                logits = self.pixel_logits(base, x, z)[:, :, row, col]
                x[:, :, row, col] = torch.bernoulli(torch.sigmoid(logits), generator=generator)
        return x
