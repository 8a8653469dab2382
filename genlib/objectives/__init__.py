"""Objective functions, each with its equation in the docstring.

* ``gan.py``          -- value function, optimal discriminator, Jensen-Shannon divergence, losses
* ``wasserstein.py``  -- critic losses and the gradient penalty
* ``elbo.py``         -- Gaussian KL, the reparameterisation, the evidence lower bound, the importance-weighted bound
* ``diffusion.py``    -- the noise schedule, forward sampling, the posterior, the diffusion ELBO's weights
"""
from .diffusion import (NoiseSchedule, cosine_betas, elbo_weights, linear_betas,
                        normal_kl, predict_x0, q_posterior, q_sample, q_step)
from .elbo import ElboTerms, elbo, gaussian_kl, iwae_bound, reparameterize
from .gan import (discriminator_loss, gan_value, generator_loss, js_divergence,
                  optimal_discriminator)
from .wasserstein import critic_loss, gradient_penalty

__all__ = ["optimal_discriminator", "js_divergence", "gan_value", "discriminator_loss",
           "generator_loss", "gradient_penalty", "critic_loss", "gaussian_kl", "iwae_bound",
           "elbo", "ElboTerms", "reparameterize", "NoiseSchedule", "linear_betas", "cosine_betas",
           "q_sample", "q_step", "q_posterior", "predict_x0", "normal_kl", "elbo_weights"]
