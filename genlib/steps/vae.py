r"""The VAE steps: gradient ascent on the evidence lower bound (notebooks 05-07).

For a batch of grey-level images x in [0, 1], binarised afresh at every step (each pixel a
Bernoulli draw with its grey level as probability), with q(z|x) = N(mu, diag(exp(logvar))):

    ELBO(x) = E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || N(0, I))         (notebook 05, §2-§5)

estimated with one reparameterised z = mu + sigma * eps and the KL in closed form.

* ``vae_step``            the ELBO, or the beta-VAE objective with ``beta`` != 1 (06, 07 §1)
* ``warmup_vae_step``     KL warm-up: beta ramps from 0 to 1 over ``warmup_steps`` (07, §3)
* ``free_bits_vae_step``  each latent dimension's KL counts as at least ``free_bits`` (07, §3)
* ``cvae_step``           the conditional ELBO with q(z|x, y) and p(x|z, y) (07, §4)

Each logs the ELBO itself (beta = 1) and its two terms, in nats per image.
Notebooks 06 and 07 are the sources of these functions.
"""
import torch

from ..objectives.elbo import bernoulli_log_likelihood, gaussian_kl, reparameterize


def vae_step(vae, opt, x, rng, beta=1.0):
    """One Adam step on -(log p(x|z) - beta KL) for the batch ``x``."""
    x = torch.bernoulli(x, generator=rng)                    # dynamic binarisation
    mu, logvar = vae.encode(x)                               # q(z|x) = N(mu, diag(exp(logvar)))
    z = reparameterize(mu, logvar, rng)                      # z = mu + sigma * eps, eps ~ N(0, I)
    log_px_z = bernoulli_log_likelihood(x, vae.decode(z))    # log p(x|z), summed over pixels
    kl = gaussian_kl(mu, logvar)                             # KL(q(z|x) || p(z)), closed form
    loss = -(log_px_z - beta * kl).mean()                    # -ELBO_beta, averaged over the batch
    opt.zero_grad(); loss.backward(); opt.step()
    return {"elbo": (log_px_z - kl).mean(), "log_likelihood": log_px_z.mean(), "kl": kl.mean()}


def warmup_vae_step(vae, opt, x, rng, t, warmup_steps=1000):
    """``vae_step`` with beta = min(1, (t + 1) / warmup_steps) at step ``t``: KL warm-up."""
    x = torch.bernoulli(x, generator=rng)                    # dynamic binarisation
    mu, logvar = vae.encode(x)
    log_px_z = bernoulli_log_likelihood(x, vae.decode(reparameterize(mu, logvar, rng)))
    kl = gaussian_kl(mu, logvar)                             # KL(q(z|x) || p(z))
    beta = min(1.0, (t + 1) / warmup_steps)                  # 0 -> 1, then the plain ELBO
    loss = -(log_px_z - beta * kl).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"elbo": (log_px_z - kl).mean(), "log_likelihood": log_px_z.mean(), "kl": kl.mean(),
            "beta": beta}


def free_bits_vae_step(vae, opt, x, rng, free_bits=0.5):
    """log p(x|z) - sum_j max(lambda, KL_j) with KL_j averaged over the batch (lambda = free_bits)."""
    x = torch.bernoulli(x, generator=rng)                    # dynamic binarisation
    mu, logvar = vae.encode(x)
    log_px_z = bernoulli_log_likelihood(x, vae.decode(reparameterize(mu, logvar, rng)))
    kl_per_dim = gaussian_kl(mu.unsqueeze(-1), logvar.unsqueeze(-1)).mean(0)   # KL_j, j = 1..d
    penalty = kl_per_dim.clamp(min=free_bits).sum()          # a dimension below lambda costs lambda
    loss = -log_px_z.mean() + penalty                        # not the ELBO: a surrogate
    opt.zero_grad(); loss.backward(); opt.step()
    kl = kl_per_dim.sum()                                    # the true KL, for the history
    return {"elbo": log_px_z.mean() - kl, "log_likelihood": log_px_z.mean(), "kl": kl}


def cvae_step(vae, opt, x, y, rng):
    """One step on the conditional ELBO log p(x|z, y) - KL(q(z|x, y) || p(z)) of a labelled batch."""
    x = torch.bernoulli(x, generator=rng)                    # dynamic binarisation
    mu, logvar = vae.encode(x, y)                            # q(z|x, y): the encoder sees the label
    z = reparameterize(mu, logvar, rng)
    log_px_z = bernoulli_log_likelihood(x, vae.decode(z, y)) # log p(x|z, y): so does the decoder
    kl = gaussian_kl(mu, logvar)                             # KL(q(z|x, y) || N(0, I))
    loss = -(log_px_z - kl).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"elbo": -loss, "log_likelihood": log_px_z.mean(), "kl": kl.mean()}
