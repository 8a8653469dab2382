"""The exercises of notebook 05 (the ELBO): the test cases whose right results are stored."""
from __future__ import annotations

import torch

from .framework import Case, Exercise, coded


def _cases_05_1():
    rng = torch.Generator().manual_seed(50)
    return [Case((torch.randn(5, 3, generator=rng), torch.randn(5, 3, generator=rng)),
                 "5 examples, 3 latent dimensions"),
            Case((2 * torch.randn(5, 3, generator=rng), torch.randn(5, 3, generator=rng)),
                 "5 examples with larger means"),
            Case((torch.randn(2, 4, 3, generator=rng), torch.randn(2, 4, 3, generator=rng)),
                 "a 2 x 4 batch of examples, 3 latent dimensions")]


def _cases_05_2():
    rng = torch.Generator().manual_seed(51)

    def case(shape, beta, note):
        x = torch.bernoulli(torch.full(shape, 0.4), generator=rng)
        return Case((x, torch.randn(shape, generator=rng), torch.randn(shape[0], 3, generator=rng),
                     torch.randn(shape[0], 3, generator=rng), beta), note)
    return [case((4, 20), 1.0, "4 examples of 20 pixels, beta = 1"),
            case((4, 20), 4.0, "4 examples of 20 pixels, beta = 4"),
            case((3, 1, 4, 5), 0.5, "3 images of 1 x 4 x 5 pixels, beta = 0.5")]


def _cases_05_3():
    return [Case((784, 1.0), "D = 784, weight 1"), Case((64, 1.0), "D = 64, weight 1"),
            Case((15, 1.0), "D = 15, weight 1"), Case((784, 1000.0), "D = 784, weight 1000"),
            Case((100, 0.5), "D = 100, weight 0.5")]


EXERCISES = [
    coded("05.1", "the Gaussian KL", "my_gaussian_kl", _cases_05_1),
    coded("05.2", "the beta-VAE loss", "my_beta_vae_loss", _cases_05_2),
    coded("05.3", "the variance a mean squared error implies", "implied_variance",
          _cases_05_3, atol=1e-05, rtol=1e-06),
    Exercise('05.4', "think", 'a shared variance'),
]
