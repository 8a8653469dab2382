"""Objective functions, each with its equation in the docstring.

* ``gan.py``          -- value function, optimal discriminator, Jensen-Shannon divergence, losses
* ``wasserstein.py``  -- critic losses and the gradient penalty
* ``elbo.py``         -- Gaussian KL, the reparameterisation, the evidence lower bound, the importance-weighted bound
"""
from .elbo import ElboTerms, elbo, gaussian_kl, iwae_bound, reparameterize
from .gan import (discriminator_loss, gan_value, generator_loss, js_divergence,
                  optimal_discriminator)
from .wasserstein import critic_loss, gradient_penalty

__all__ = ["optimal_discriminator", "js_divergence", "gan_value", "discriminator_loss",
           "generator_loss", "gradient_penalty", "critic_loss", "gaussian_kl", "iwae_bound",
           "elbo", "ElboTerms", "reparameterize"]
