"""Image grids without torchvision: a few lines of tensor reshaping."""
from __future__ import annotations

import io

import numpy as np
import torch


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 1,
               pad_value: float = 1.0) -> torch.Tensor:
    """Tile ``N x C x H x W`` (or ``N x H x W``) images in [0, 1] into one ``H' x W'`` (grey)
    or ``H' x W' x C`` array, ``nrow`` images per row, ``padding`` pixels between them."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dim() != 4:
        raise ValueError(f"image_grid expects N x C x H x W images, got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    ncol = max(1, min(nrow, n))
    nrows = -(-n // ncol)
    grid = torch.full((c, nrows * (h + padding) + padding, ncol * (w + padding) + padding),
                      float(pad_value))
    for i in range(n):
        r, k = divmod(i, ncol)
        top, left = padding + r * (h + padding), padding + k * (w + padding)
        grid[:, top:top + h, left:left + w] = images[i]
    grid = grid.clamp(0, 1)
    return grid[0] if c == 1 else grid.permute(1, 2, 0)


def show_images(images: torch.Tensor, nrow: int = 8, title: str | None = None, ax=None,
                figsize=(4, 4), padding: int = 1):
    """Draw an image grid with matplotlib (grey colour map, no ticks); return the axes."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, nrow=nrow, padding=padding)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.imshow(grid.numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([]); ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def png_bytes(image: torch.Tensor | np.ndarray, scale: int = 1) -> bytes:
    """PNG-encode one grey ``H x W`` (or ``H x W x 3``) image in [0, 1]; ``scale`` enlarges it
    by pixel repetition. No matplotlib figure: fast enough for a slider."""
    from PIL import Image

    array = torch.as_tensor(image).detach().float().cpu().clamp(0, 1).numpy()
    array = (array * 255 + 0.5).astype(np.uint8)
    if scale > 1:
        array = array.repeat(scale, axis=0).repeat(scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
