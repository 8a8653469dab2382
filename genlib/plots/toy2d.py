"""GAN Lab's views of a GAN on 2-D data, drawn with matplotlib (notebooks 02 and 04).

* samples: real points (the data's grey) and generated points (the model family's colour,
  :mod:`genlib.plots.palette`), mode centres as crosses;
* the decision surface: D(x) = sigmoid(logit) over the plane (green: "real", purple:
  "fake"), or for a Wasserstein critic its score f(x);
* the generator's gradient field: at generated points x = G(z), the arrow -grad_x l(x) of the
  generator's per-sample loss l (e.g. -log D(x)), i.e. where the next update pushes them.

After Kahng et al., "GAN Lab: Understanding Complex Deep Generative Models using Interactive
Visual Experimentation", IEEE VIS 2018 (https://poloclub.github.io/ganlab/).
"""
from __future__ import annotations

import torch

from ..objectives.gan import generator_loss
from .palette import family_colour

REAL_COLOUR = family_colour("data")


def plot_extent(points: torch.Tensor, margin: float = 0.5) -> tuple[float, float, float, float]:
    """A square ``(x0, x1, y0, y1)`` around ``points`` (e.g. a large sample of the data)."""
    low, high = points.min(0).values, points.max(0).values
    centre, half = (low + high) / 2, float((high - low).max()) / 2 + margin
    return (float(centre[0]) - half, float(centre[0]) + half,
            float(centre[1]) - half, float(centre[1]) + half)


def _grid(extent, resolution: int) -> torch.Tensor:
    xs = torch.linspace(extent[0], extent[1], resolution)
    ys = torch.linspace(extent[2], extent[3], resolution)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.flatten(), yy.flatten()], 1)


def draw_decision_surface(ax, discriminator, extent, critic: bool = False,
                          resolution: int = 80) -> None:
    """Colour the plane by D(x) in [0, 1] (or, with ``critic``, by the critic's score f(x),
    centred at its median)."""
    points = _grid(extent, resolution)
    with torch.no_grad():
        scores = discriminator(points).reshape(resolution, resolution)
    if critic:
        values = scores - scores.median()
        limit = float(values.abs().max()) or 1.0
        image, vmin, vmax = values, -limit, limit
    else:
        image, vmin, vmax = torch.sigmoid(scores), 0.0, 1.0
    ax.imshow(image.numpy(), origin="lower", extent=extent, cmap="PRGn", vmin=vmin, vmax=vmax,
              alpha=0.6, interpolation="bilinear")


def generator_gradient(discriminator, points: torch.Tensor,
                       kind: str = "non-saturating") -> torch.Tensor:
    """-grad_x l(x) at each point, with l the generator's per-sample loss of ``kind``
    (:func:`genlib.objectives.gan.generator_loss`; "wasserstein" for a critic)."""
    x = points.detach().clone().requires_grad_(True)
    per_sample_sum = generator_loss(discriminator(x), kind=kind) * len(x)  # loss is a mean
    (grad,) = torch.autograd.grad(per_sample_sum, x)
    return -grad


def label_plane(ax, fontsize: float = 8) -> None:
    """Name the axes of a 2-D data plane: coordinates x_1 and x_2."""
    ax.set_xlabel("$x_1$", fontsize=fontsize)
    ax.set_ylabel("$x_2$", fontsize=fontsize)


def draw_samples(ax, real: torch.Tensor | None, fake: torch.Tensor | None,
                 modes: torch.Tensor | None = None, size: float = 3.0,
                 family: str = "GAN") -> None:
    """Scatter real points (grey) and generated points (in the colour of the model ``family``),
    and the mode centres (if known); label the axes x_1, x_2."""
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=size, color=REAL_COLOUR, alpha=0.6, lw=0,
                   label="real")
    if fake is not None:
        ax.scatter(fake[:, 0], fake[:, 1], s=size, color=family_colour(family), alpha=0.7, lw=0,
                   label="generated")
    if modes is not None:
        ax.scatter(modes[:, 0], modes[:, 1], s=18, marker="+", color="k", lw=0.6)
    label_plane(ax)


def draw_gradient_field(ax, discriminator, points: torch.Tensor, kind: str = "non-saturating",
                        arrow_length: float | None = None) -> torch.Tensor:
    """Arrows of :func:`generator_gradient` at ``points``; the longest is ``arrow_length``
    (default: a tenth of the axis width) so the field's shape, not its scale, shows.
    Returns the gradient norms (for reading off magnitudes)."""
    grad = generator_gradient(discriminator, points, kind)
    norms = grad.norm(dim=1)
    if arrow_length is None:
        x0, x1 = ax.get_xlim()
        arrow_length = (x1 - x0) / 10
    scale = float(norms.max()) / arrow_length if float(norms.max()) > 0 else 1.0
    ax.quiver(points[:, 0], points[:, 1], grad[:, 0], grad[:, 1], angles="xy",
              scale_units="xy", scale=scale, width=0.004, color="k", alpha=0.7)
    return norms


def draw_gan_lab(ax, generator, discriminator, real: torch.Tensor, z: torch.Tensor, extent,
                 kind: str = "non-saturating", modes: torch.Tensor | None = None,
                 arrows: int = 48, title: str | None = None) -> None:
    """All three views in one panel: decision surface, real and generated samples (generated
    points in the GAN's colour, or the WGAN's for ``kind="wasserstein"``), and the generator's
    gradient field at the first ``arrows`` generated points. ``title`` defaults to the loss."""
    with torch.no_grad():
        fake = generator(z)
    ax.set_xlim(extent[0], extent[1]); ax.set_ylim(extent[2], extent[3])
    draw_decision_surface(ax, discriminator, extent, critic=(kind == "wasserstein"))
    draw_samples(ax, real, fake, modes, family="WGAN" if kind == "wasserstein" else "GAN")
    if arrows:
        draw_gradient_field(ax, discriminator, fake[:arrows], kind)
    ax.set_xlim(extent[0], extent[1]); ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal"); ax.set_xticks([]); ax.set_yticks([])
    ax.set_title(title or f"{kind} loss: D(x), samples, generator's pull", fontsize=9)
