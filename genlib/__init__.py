"""genlib: the small library behind the GAN & VAE teaching notebooks.

Modules, one idea each: ``config`` (quick/full mode, seeds, device), ``data``,
``models``, ``objectives``, ``training``, ``zoo`` (train once), ``metrics``,
``plots``, ``widgets``, ``exercises`` (the self-checks) and ``answers`` (the
worked answers they refuse to accept as yours).
"""
from . import config
from .config import choose, get_device, is_quick, seed_everything
from .objectives import (ElboTerms, critic_loss, discriminator_loss, elbo, gan_value,
                         gaussian_kl, generator_loss, gradient_penalty, iwae_bound,
                         js_divergence, optimal_discriminator)

__version__ = "1.0.0"   # the course release; CHANGELOG.md and CITATION.cff give the same number
