"""Reference training pipelines in the style of pytorch/examples, to measure genlib against.

Each reference is what a student would write after reading pytorch/examples (``vae/main.py``,
``dcgan/main.py``, and the usual PyTorch port of WGAN-GP): the data set stays in ``uint8`` and
a per-item ``Dataset`` turns one image at a time into a float tensor exactly as
``transforms.ToTensor()`` does for a uint8 array (H x W x C -> C x H x W, float, / 255; we
skip the PIL image that ``torchvision.datasets.MNIST`` makes first, which only adds cost),
a ``torch.utils.data.DataLoader`` (batch 128, shuffled, in the main process as the VAE
example does on a CPU) collates the items, and the model is re-written here
layer for layer with the same shapes and the same optimiser as genlib's model, so that only
the way of training differs. :func:`check_same_architecture` makes sure of that.

One training step is written out once, in plain sight, with its four phases marked by a
``clock`` (a no-op for throughput runs, a phase timer for :mod:`bench.step_profile`)::

    with clock("data"):       x = next(batches)
    with clock("forward"):    loss = ...
    with clock("backward"):   optimizer.zero_grad(); loss.backward()
    with clock("optimiser"):  optimizer.step()
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

BATCH_SIZE = 128  # the batch size of pytorch/examples' VAE and DCGAN


def no_clock(phase: str):
    """The clock of an untimed step: every phase is a no-op context."""
    return contextlib.nullcontext()


# ----------------------------------------------------------------------------- data
def to_tensor(picture: np.ndarray) -> torch.Tensor:
    """``torchvision.transforms.functional.to_tensor`` for a uint8 array (H x W or
    H x W x C): a C x H x W float tensor in [0, 1]."""
    if picture.ndim == 2:
        picture = picture[:, :, None]
    image = torch.from_numpy(picture.transpose((2, 0, 1))).contiguous()
    return image.to(dtype=torch.get_default_dtype()).div(255)


class UInt8ImageDataset(Dataset):
    """Per-item access to ``uint8`` images (N x H x W), one ``to_tensor`` per item (and
    ``(x - 0.5) / 0.5`` with ``normalize=True``, the DCGAN example's
    ``Normalize((0.5,), (0.5,))``)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, normalize: bool = False):
        self.images, self.labels, self.normalize = images, labels, normalize

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = to_tensor(self.images[index])
        if self.normalize:
            image = (image - 0.5) / 0.5
        return image, int(self.labels[index])


def endless_loader(dataset: Dataset, batch_size: int = BATCH_SIZE, seed: int = 0):
    """Batches of images from a shuffled ``DataLoader``, epoch after epoch (last one dropped,
    so every batch has ``batch_size`` images, as the WGAN-GP ports do)."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                        num_workers=0, generator=torch.Generator().manual_seed(seed))
    while True:
        for images, _ in loader:
            yield images


# ----------------------------------------------------------------------------- models
class ReferenceMLPVAE(nn.Module):
    """pytorch/examples' VAE (fc1, fc21, fc22, fc3, fc4), with genlib's hidden widths."""

    def __init__(self, pixels: int = 784, hidden=(400,), latent_dim: int = 20):
        super().__init__()
        widths = [pixels, *hidden]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.fc_mu = nn.Linear(widths[-1], latent_dim)
        self.fc_logvar = nn.Linear(widths[-1], latent_dim)
        back = [latent_dim, *reversed(hidden)]
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(back[:-1], back[1:]))
        self.fc_out = nn.Linear(back[-1], pixels)
        self.pixels = pixels

    def encode(self, x):
        h = x.view(-1, self.pixels)
        for layer in self.encoder:
            h = F.relu(layer(h))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        h = z
        for layer in self.decoder:
            h = F.relu(layer(h))
        return torch.sigmoid(self.fc_out(h))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


class ReferenceConvVAE(nn.Module):
    """The same layers as :class:`genlib.models.conv_vae.ConvVAE`, written the examples' way."""

    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 32,
                 width: int = 32, hidden: int = 256):
        super().__init__()
        self.side, self.width = image_size // 4, width
        features = 2 * width * self.side ** 2
        self.conv1 = nn.Conv2d(channels, width, 4, 2, 1)
        self.conv2 = nn.Conv2d(width, 2 * width, 4, 2, 1)
        self.fc1 = nn.Linear(features, hidden)
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden)
        self.fc4 = nn.Linear(hidden, features)
        self.deconv1 = nn.ConvTranspose2d(2 * width, width, 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(width, channels, 4, 2, 1)

    def encode(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = F.relu(self.fc1(h.flatten(1)))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        h = F.relu(self.fc4(F.relu(self.fc3(z))))
        h = h.view(-1, 2 * self.width, self.side, self.side)
        return torch.sigmoid(self.deconv2(F.relu(self.deconv1(h))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def vae_loss(recon_x, x, mu, logvar):
    """pytorch/examples' ``loss_function``: BCE summed over pixels plus the Gaussian KL,
    per batch (the negative ELBO of the batch)."""
    bce = F.binary_cross_entropy(recon_x, x.view_as(recon_x), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


class ReferenceGenerator(nn.Module):
    """dcgan/main.py's ``Generator`` for 28 x 28: the layers of genlib's DCGANGenerator."""

    def __init__(self, latent_dim: int = 64, width: int = 64):
        super().__init__()
        self.latent_dim = latent_dim
        self.main = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 2 * width, 7, 1, 0, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(True),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, noise):
        return self.main(noise)


class ReferenceDiscriminator(nn.Module):
    """dcgan/main.py's ``Discriminator`` for 28 x 28, ending in a logit (the loss is
    ``BCEWithLogitsLoss``) as genlib's DCGANDiscriminator does."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * width, 1, 7, 1, 0))

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m: nn.Module) -> None:
    """dcgan/main.py's ``weights_init``: N(0, 0.02) convolutions, N(1, 0.02) batch norms."""
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def check_same_architecture(ours: nn.Module, reference: nn.Module) -> int:
    """Raise unless both modules have the same number of parameters and the same
    convolution kernels; return the number of parameters. Guards the comparison against a
    model changing on one side only. (Linear shapes may differ: the examples split genlib's
    ``hidden -> 2 * latent`` layer into ``fc_mu`` and ``fc_logvar``.)"""
    def signature(model):
        kernels = sorted(tuple(p.shape) for p in model.parameters() if p.dim() == 4)
        return sum(p.numel() for p in model.parameters()), kernels

    if signature(ours) != signature(reference):
        raise AssertionError(f"architectures differ: {type(ours).__name__} has (parameters, "
                             f"kernels) {signature(ours)}, {type(reference).__name__} has "
                             f"{signature(reference)}")
    return signature(ours)[0]


# ----------------------------------------------------------------------------- training
class ReferenceVAETraining:
    """vae/main.py's ``train``: DataLoader batches, ``loss_function``, Adam."""

    def __init__(self, model: nn.Module, dataset: Dataset, lr: float = 1e-3,
                 batch_size: int = BATCH_SIZE, device="cpu", seed: int = 0):
        self.model = model.to(device).train()
        self.device = device
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.batches = endless_loader(dataset, batch_size, seed)
        self.batch_size = batch_size

    def train_steps(self, steps: int, clock=no_clock) -> int:
        """Take ``steps`` optimiser steps; return the number of images used."""
        for _ in range(steps):
            with clock("data"):
                data = next(self.batches).to(self.device)
            with clock("forward"):
                recon_batch, mu, logvar = self.model(data)
                loss = vae_loss(recon_batch, data, mu, logvar)
            with clock("backward"):
                self.optimizer.zero_grad()
                loss.backward()
            with clock("optimiser"):
                self.optimizer.step()
            self.last_loss = loss.item() / len(data)  # the example's running train_loss
        return steps * self.batch_size


class ReferenceGANTraining:
    """dcgan/main.py's loop (``gradient_penalty=False``): D on a real batch, D on a fake
    batch, step D; then G through D on the same fakes, step G.

    With ``gradient_penalty=True`` it is the usual PyTorch port of WGAN-GP (Gulrajani et al.
    2017, Algorithm 1): ``critic_steps`` critic updates on E f(fake) - E f(real) + lambda GP,
    the penalty computed inline, then one generator update on -E f(G(z))."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, dataset: Dataset, *,
                 lr_g: float = 2e-4, lr_d: float = 2e-4, betas=(0.5, 0.999),
                 gradient_penalty: bool = False, critic_steps: int = 1, gp_weight: float = 10.0,
                 batch_size: int = BATCH_SIZE, device="cpu", seed: int = 0):
        self.G, self.D = generator.to(device).train(), discriminator.to(device).train()
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
        self.batches = endless_loader(dataset, batch_size, seed)
        self.gp, self.critic_steps, self.gp_weight = gradient_penalty, critic_steps, gp_weight
        self.batch_size, self.device = batch_size, device
        self.criterion = nn.BCEWithLogitsLoss()

    def train_steps(self, steps: int, clock=no_clock) -> int:
        """Take ``steps`` generator steps; return the number of real images used."""
        step = self._wgan_gp_step if self.gp else self._dcgan_step
        for _ in range(steps):
            step(clock)
        return steps * self.batch_size * (self.critic_steps if self.gp else 1)

    def _dcgan_step(self, clock) -> None:
        with clock("data"):
            real = next(self.batches).to(self.device)
        b = real.size(0)
        # (1) update D: maximise log D(x) + log(1 - D(G(z)))
        with clock("forward"):
            label = torch.full((b,), 1.0, device=self.device)
            err_real = self.criterion(self.D(real), label)
        with clock("backward"):
            self.D.zero_grad()
            err_real.backward()
        with clock("forward"):
            noise = torch.randn(b, self.G.latent_dim, 1, 1, device=self.device)
            fake = self.G(noise)
            label.fill_(0.0)
            err_fake = self.criterion(self.D(fake.detach()), label)
        with clock("backward"):
            err_fake.backward()
        with clock("optimiser"):
            self.opt_d.step()
        # (2) update G: maximise log D(G(z))
        with clock("forward"):
            label.fill_(1.0)
            err_g = self.criterion(self.D(fake), label)
        with clock("backward"):
            self.G.zero_grad()
            err_g.backward()
        with clock("optimiser"):
            self.opt_g.step()

    def _wgan_gp_step(self, clock) -> None:
        for _ in range(self.critic_steps):
            with clock("data"):
                real = next(self.batches).to(self.device)
            b = real.size(0)
            with clock("forward"):
                noise = torch.randn(b, self.G.latent_dim, 1, 1, device=self.device)
                with torch.no_grad():
                    fake = self.G(noise)
                d_real, d_fake = self.D(real).mean(), self.D(fake).mean()
                alpha = torch.rand(b, 1, 1, 1, device=self.device)
                interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
                (gradients,) = torch.autograd.grad(self.D(interpolates).sum(), interpolates,
                                                   create_graph=True)
                penalty = ((gradients.view(b, -1).norm(2, dim=1) - 1) ** 2).mean()
                d_cost = d_fake - d_real + self.gp_weight * penalty
            with clock("backward"):
                self.D.zero_grad()
                d_cost.backward()
            with clock("optimiser"):
                self.opt_d.step()
        with clock("forward"):
            noise = torch.randn(self.batch_size, self.G.latent_dim, 1, 1, device=self.device)
            g_cost = -self.D(self.G(noise)).mean()
        with clock("backward"):
            self.G.zero_grad()
            g_cost.backward()
        with clock("optimiser"):
            self.opt_g.step()
