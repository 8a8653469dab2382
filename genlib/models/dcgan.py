"""DCGAN for 28x28 single-channel images (notebook 03), after Radford et al. (2015).

Their guidelines, as used here: no pooling, strided convolutions in the discriminator and
fractionally-strided (transposed) convolutions in the generator; batch norm in both, except
the generator's output layer and the discriminator's input layer; ReLU in the generator with
tanh at its output; LeakyReLU (slope 0.2) in the discriminator; no fully connected hidden
layers; weights initialised from N(0, 0.02); Adam with beta1 = 0.5. Radford et al. work on
images in [-1, 1]; here, as everywhere in genlib, images are in [0, 1]: the generator's tanh
output is mapped to (tanh + 1) / 2 and the discriminator reads 2 x - 1, so the networks
compute exactly what theirs compute.

Shapes with ``width = w``::

    G: z (B x latent_dim) -> 2w x 7 x 7 -> w x 14 x 14 -> 1 x 28 x 28 ((tanh + 1) / 2)
    D: 1 x 28 x 28 -> w x 14 x 14 -> 2w x 7 x 7 -> one logit (B)
"""
from __future__ import annotations

import torch
from torch import nn


class DCGANGenerator(nn.Module):
    """z (B x latent_dim) -> images (B x 1 x 28 x 28) in [0, 1]."""

    def __init__(self, latent_dim: int = 64, width: int = 64):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            # project z to a 7 x 7 map: a 7x7 transposed convolution of a 1x1 "image"
            nn.ConvTranspose2d(latent_dim, 2 * width, 7, 1, 0, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),  # 7 -> 14
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1),  # 14 -> 28
            nn.Tanh(),
        )
        init_dcgan_weights(self).to(memory_format=torch.channels_last)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.net(z.reshape(z.shape[0], self.latent_dim, 1, 1)) + 1) / 2

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (the same as calling the generator)."""
        return self(z)


class DCGANDiscriminator(nn.Module):
    """images (B x 1 x 28 x 28) in [0, 1] -> logits (B). ``features(x)`` is the last hidden
    layer (the VAE-GAN's Dis_l, notebook 08) and ``read_out`` maps it to the logit."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.hidden = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),  # 28 -> 14, no batch norm
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),  # 14 -> 7
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
        )
        self.logit = nn.Conv2d(2 * width, 1, 7, 1, 0)  # 7 x 7 -> one logit: a linear read-out
        init_dcgan_weights(self).to(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer for images in [0, 1] (read as 2 x - 1): B x 2w x 7 x 7."""
        return self.hidden(2 * x - 1)

    def read_out(self, features: torch.Tensor) -> torch.Tensor:
        """Logits (B) from :meth:`features`."""
        return self.logit(features).flatten()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.read_out(self.features(x))


def init_dcgan_weights(model: nn.Module) -> nn.Module:
    """Radford et al.'s initialisation: conv weights ~ N(0, 0.02), batch-norm scales
    ~ N(1, 0.02), biases 0. Applied by both constructors."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return model
