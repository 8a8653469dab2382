"""Figures of notebook 08's comparison: sample grids side by side, interpolations row by row."""
from __future__ import annotations

import torch

from .images import show_images


def draw_sample_grids(contenders, real: torch.Tensor, n: int = 16, seed: int = 0,
                      figsize=(8, 2.4), title: str = "real images and each model's samples"):
    """One panel of ``n`` images per model (z ~ N(0, I) with the same ``seed``), after a panel
    of real images; ``title`` above them all."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(contenders) + 1, figsize=figsize)
    show_images(real[:n], nrow=4, ax=axes[0], title="data")
    for ax, model in zip(axes[1:], contenders):
        show_images(model.sample(n, seed), nrow=4, ax=ax, title=model.name)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def interpolation_frames(model, x_start: torch.Tensor, x_end: torch.Tensor, frames: int = 8,
                         seed: int = 0) -> torch.Tensor:
    """Decoded images along the straight line between two codes: the codes of the two images
    ``x_start``, ``x_end`` (1 x 1 x H x W) if the model has an encoder, else two prior samples."""
    with torch.inference_mode():
        if model.encode is not None:
            z0, z1 = model.encode(x_start), model.encode(x_end)
        else:
            z0, z1 = torch.randn(2, 1, model.latent_dim,
                                 generator=torch.Generator().manual_seed(seed))
        t = torch.linspace(0, 1, frames).unsqueeze(1)
        return model.decode((1 - t) * z0 + t * z1)


def draw_interpolations(contenders, x_start: torch.Tensor, x_end: torch.Tensor,
                        frames: int = 8, figsize=None,
                        title: str = "interpolations between two test images"):
    """One row per model: the two real images at the ends, the decoded path between; ``title``
    above them all. ``figsize`` defaults to 8 inches wide and 1.1 inches per row."""
    import matplotlib.pyplot as plt

    figsize = figsize or (8, 1.1 * len(contenders) + 0.4)
    fig, axes = plt.subplots(len(contenders), 1, figsize=figsize, squeeze=False)
    for ax, model in zip(axes[:, 0], contenders):
        path = interpolation_frames(model, x_start, x_end, frames)
        if model.encode is not None:
            row, label = torch.cat([x_start, path, x_end]), f"{model.name}: E(x) to E(x')"
        else:
            row, label = path, f"{model.name}: no encoder, two prior samples"
        show_images(row, nrow=len(row), ax=ax)
        ax.set_title(label, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
