r"""Noise-prediction networks eps_theta(x_t, t) of the diffusion models (notebook 11).

* :class:`MLPDenoiser`: points in the plane (the ring of 8 Gaussians), an MLP on the point and
  a sinusoidal embedding of ``t``;
* :class:`ConvDenoiser`: 28 x 28 images, a small U-Net (28 -> 14 -> 7 -> 14 -> 28) whose
  residual blocks each add a projection of the time embedding, with GroupNorm.

Both take ``x_t`` in the model's space (images as ``2 x - 1``) and ``t`` (one step per
example, 1..T) and return the predicted noise, the shape of ``x_t``. ``ConvDenoiser(classes=K)``
also takes a class ``y`` per example (notebook 12's guidance): a learned embedding of the class,
with one more entry for "no class", is added to the time embedding.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..checks import require_int, require_tensor


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    r"""Sinusoidal features of the steps ``t`` (Vaswani et al. 2017, Ho et al. 2020):
    ``[cos(t w_k), sin(t w_k)]`` with ``w_k = max_period^(-k / (dim / 2))``, k = 0 .. dim/2 - 1."""
    require_int("dim", dim, minimum=2)
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


def _check_input(x: torch.Tensor, t: torch.Tensor, dims: int) -> None:
    require_tensor("x", x, floating=True)
    require_tensor("t", t)
    if x.dim() != dims:
        raise ValueError(f"x must have {dims} dimensions, got shape {tuple(x.shape)}")
    if t.dim() != 1 or len(t) != len(x):
        raise ValueError(f"t must hold one step per example ({len(x)}), got shape {tuple(t.shape)}")


class MLPDenoiser(nn.Module):
    """eps_theta(x_t, t) for points: ``depth`` hidden layers of ``hidden`` SiLU units on
    ``[x_t, embedding(t)]``; the embedding also enters every hidden layer."""

    def __init__(self, data_dim: int = 2, hidden: int = 256, depth: int = 3, time_dim: int = 64):
        super().__init__()
        for name, value in (("data_dim", data_dim), ("hidden", hidden), ("depth", depth),
                            ("time_dim", time_dim)):
            require_int(name, value, minimum=1)
        self.data_dim, self.time_dim = data_dim, time_dim
        self.time = nn.Sequential(nn.Linear(time_dim, hidden), nn.SiLU())
        self.inp = nn.Linear(data_dim, hidden)
        self.layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, data_dim)
        self.act = nn.SiLU()

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one point: ``(data_dim,)``."""
        return (self.data_dim,)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        _check_input(x, t, 2)
        if x.shape[1] != self.data_dim:
            raise ValueError(f"x must be points of {self.data_dim} coordinates, got shape "
                             f"{tuple(x.shape)}")
        e = self.time(timestep_embedding(t, self.time_dim))
        h = self.inp(x)
        for layer in self.layers:
            h = layer(self.act(h + e))
        return self.out(self.act(h))


class _ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, plus the time embedding, twice, and a skip connection."""

    def __init__(self, c_in: int, c_out: int, time_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(8, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(time_dim, c_out)
        self.norm2 = nn.GroupNorm(min(8, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.act = nn.SiLU()

    def forward(self, x, e):
        h = self.conv1(self.act(self.norm1(x)))
        h = h + self.time(e)[:, :, None, None]
        h = self.conv2(self.act(self.norm2(h)))
        return h + self.skip(x)


class ConvDenoiser(nn.Module):
    """eps_theta(x_t, t) for ``channels x 28 x 28`` images: a small U-Net with ``width``
    channels at 28 x 28 (one convolution in, one out: cheap on a CPU) and ``2 width`` at
    14 x 14 and 7 x 7, where residual blocks do the work (one on the way down, one in the
    middle, one on the way up, skip connections between the two sides), the time embedding
    added in every block. With ``classes = K > 0`` the class ``y`` in 0..K-1, or K ("no class",
    also what ``y=None`` means), adds its own learned vector to the time embedding."""

    def __init__(self, channels: int = 1, width: int = 32, time_dim: int = 128, classes: int = 0):
        super().__init__()
        for name, value in (("channels", channels), ("width", width), ("time_dim", time_dim)):
            require_int(name, value, minimum=1)
        require_int("classes", classes, minimum=0)
        c1, c2 = width, 2 * width
        self.channels, self.time_dim, self.classes = channels, time_dim, classes
        self.time = nn.Sequential(nn.Linear(time_dim, time_dim), nn.SiLU(),
                                  nn.Linear(time_dim, time_dim))
        self.label = nn.Embedding(classes + 1, time_dim) if classes else None
        self.inp = nn.Conv2d(channels, c1, 3, padding=1)
        self.pool1 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)         # -> 14
        self.down2 = _ResBlock(c2, c2, time_dim)
        self.pool2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)         # -> 7
        self.middle = _ResBlock(c2, c2, time_dim)
        self.up2 = nn.ConvTranspose2d(c2, c2, 4, stride=2, padding=1)  # -> 14
        self.dec2 = _ResBlock(2 * c2, c2, time_dim)
        self.up1 = nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1)  # -> 28
        self.out = nn.Sequential(nn.GroupNorm(min(8, 2 * c1), 2 * c1), nn.SiLU(),
                                 nn.Conv2d(2 * c1, channels, 3, padding=1))

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one image: ``(channels, 28, 28)``."""
        return (self.channels, 28, 28)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None
                ) -> torch.Tensor:
        _check_input(x, t, 4)
        if x.shape[1:] != (self.channels, 28, 28):
            raise ValueError(f"x must be images of shape {self.channels} x 28 x 28, got "
                             f"{tuple(x.shape[1:])}")
        e = self.time(timestep_embedding(t, self.time_dim))
        if self.label is not None:   # the class, or K = "no class"
            e = e + self.label(torch.full_like(t, self.classes, dtype=torch.long) if y is None
                               else y)
        elif y is not None:
            raise ValueError("y: this denoiser has no classes; build it with "
                             "ConvDenoiser(classes=K) to condition on a class")
        h1 = self.inp(x)                                              # 28 x 28
        h2 = self.down2(self.pool1(h1), e)
        h = self.middle(self.pool2(h2), e)
        h = self.dec2(torch.cat([self.up2(h), h2], 1), e)
        return self.out(torch.cat([self.up1(h), h1], 1))


class NoiseFromV(nn.Module):
    r"""The noise predictor of a network ``v_net`` trained to predict v (Salimans & Ho 2022;
    notebook 11, "Predicting v instead of the noise"):

        v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0,   so   eps = sqrt(1 - abar_t) x_t + sqrt(abar_t) v

    so that every sampler written for eps_theta samples it unchanged."""

    def __init__(self, v_net: nn.Module, schedule: nn.Module):
        super().__init__()
        self.v_net, self.schedule = v_net, schedule

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.v_net.sample_shape

    @property
    def channels(self) -> int:
        return self.v_net.channels

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        abar = self.schedule.at("alpha_bar", t, x)
        return (1 - abar).sqrt() * x + abar.sqrt() * self.v_net(x, t)
