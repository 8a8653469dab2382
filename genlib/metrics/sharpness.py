"""Pixel sharpness of images (notebooks 08 and 10).

    sharpness(x) = mean over pixels of (x[i+1, j] - x[i, j])^2  +  mean of (x[i, j+1] - x[i, j])^2

the mean squared difference of vertical and of horizontal neighbours (notebook 10, section "The
best single answer to an uncertain question is an average"): 0 for a flat image, larger for edges
and texture. Averaging images can only lower it (the squared difference is convex), which is why
the blurry mean a pixel-wise loss rewards scores low.
"""
from __future__ import annotations

import torch

from ..checks import require_finite, require_tensor, require_unit_interval


def image_sharpness(images: torch.Tensor) -> torch.Tensor:
    """Sharpness of each image of ``images`` (B x C x H x W in [0, 1], H and W at least 2): a
    tensor of B."""
    images = torch.as_tensor(images)
    if images.dim() != 4 or len(images) == 0 or min(images.shape[-2:]) < 2:
        raise ValueError(f"images must be B x C x H x W with B >= 1 and H, W >= 2, got shape "
                         f"{tuple(images.shape)}")
    require_finite("images", require_tensor("images", images, floating=True))
    require_unit_interval("images", images)
    vertical = (images[..., 1:, :] - images[..., :-1, :]).pow(2).mean((-1, -2, -3))
    horizontal = (images[..., :, 1:] - images[..., :, :-1]).pow(2).mean((-1, -2, -3))
    return vertical + horizontal
