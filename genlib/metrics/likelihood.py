"""Importance-weighted estimates of a VAE's test log-likelihood (notebook 06,
section "How good is the model? The importance-weighted bound").

    log p(x) >= L_K = log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x),

L_1 is the ELBO and L_K increases with K towards log p(x) (Burda et al. 2016). The test
negative log-likelihood reported in papers is -L_K with K = 5000 or 1000, in nats per image,
on a *fixed* binarisation of the test set: :func:`fixed_binarization` makes one.

Randomness: the two measurements that must give the same numbers on every run
(:func:`fixed_binarization`, :func:`iwae_estimate`) take an int ``seed``; the pieces a caller
draws with (:func:`vae_elbo`, :func:`iwae_log_weights`) take ``rng``, a ``torch.Generator``.
"""
from __future__ import annotations

import inspect

import torch

from ..checks import (require_nonempty, require_positive, require_seed,
                      require_tensor, require_unit_interval)
from ..objectives.elbo import (ElboTerms, bernoulli_log_likelihood, diagonal_gaussian_log_prob, elbo,
                              iwae_bound, reparameterize)

TEST_BINARIZATION_SEED = 1234  # the fixed binarisation of every test set in the collection


def fixed_binarization(images: torch.Tensor, seed: int = TEST_BINARIZATION_SEED) -> torch.Tensor:
    """One Bernoulli draw per pixel (grey level = probability of 1) from a random number
    generator (rng) seeded with ``seed``: the same binary test images on every machine and every
    run. ``images`` hold grey levels in [0, 1] (as ``load_images`` returns them)."""
    require_tensor("images", images, floating=True)
    require_unit_interval("images", images, "grey levels (probabilities of a 1)")
    rng = torch.Generator().manual_seed(require_seed("seed", seed))
    return torch.bernoulli(images, generator=rng)


def vae_elbo(vae, x: torch.Tensor, labels: torch.Tensor | None = None,
             rng: torch.Generator | None = None) -> ElboTerms:
    """The one-sample ELBO of a genlib VAE on binary images ``x`` and its two terms, one value
    per image (:func:`genlib.objectives.elbo.elbo` at z ~ q(z|x) drawn with ``rng``);
    ``labels`` for a conditional VAE. L_1 of the importance-weighted bound has this mean."""
    _check_model_inputs(vae, "vae", x, "x", labels)
    conditional = labels is not None
    mu, logvar = vae.encode(x, labels) if conditional else vae.encode(x)
    z = reparameterize(mu, logvar, rng)
    return elbo(x, vae.decode(z, labels) if conditional else vae.decode(z), mu, logvar)


def iwae_log_weights(model, x: torch.Tensor, k: int, labels: torch.Tensor | None = None,
                     rng: torch.Generator | None = None,
                     grad: bool = False) -> torch.Tensor:
    r"""log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x) for K samples z_k ~ q(z|x):
    a ``K x B`` tensor (samples on dimension 0, as :func:`iwae_bound` wants).

    ``model`` is a genlib VAE (``encode`` and ``decode`` to Bernoulli logits); pass
    ``labels`` for a conditional one. All K samples of a batch go through the decoder at
    once, so keep ``K * B`` to a few thousand (see :func:`iwae_estimate`). ``grad=True``
    keeps the graph (the z_k are reparameterised), for training on the IWAE bound.
    """
    _check_model_inputs(model, "model", x, "x", labels, values=False)  # no sync: may train
    require_positive("k", k, integer=True)
    with torch.set_grad_enabled(grad):
        return _log_weights(model, x, k, labels, rng)


def _log_weights(model, x, k, labels, rng):
    conditional = labels is not None
    mu, logvar = model.encode(x, labels) if conditional else model.encode(x)
    z = reparameterize(mu.expand(k, *mu.shape), logvar.expand(k, *mu.shape), rng)  # K x B x d
    flat_z = z.flatten(0, 1)
    if conditional:
        logits = model.decode(flat_z, labels.repeat(k))
    else:
        logits = model.decode(flat_z)
    x_rep = x.unsqueeze(0).expand(k, *x.shape).flatten(0, 1)
    log_px_z = bernoulli_log_likelihood(x_rep, logits).view(k, -1)
    log_pz = diagonal_gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))
    log_qz = diagonal_gaussian_log_prob(z, mu, logvar)
    return log_px_z + log_pz - log_qz


@torch.no_grad()
def iwae_estimate(model, images: torch.Tensor, k: int = 1000, labels: torch.Tensor | None = None,
                  samples_per_pass: int = 5000, seed: int = 0) -> torch.Tensor:
    """L_K for every image (a tensor of N values in nats; ``-L_K.mean()`` is the test NLL).

    Images go through in batches of ``samples_per_pass // k`` (at least 1); when ``k`` is
    larger than ``samples_per_pass`` the K samples of an image are split into chunks and
    combined with logsumexp, so memory stays bounded. ``seed`` fixes the samples.
    ``images`` are binary (e.g. :func:`fixed_binarization` of the test set): the Bernoulli
    likelihood is a probability only for 0/1 pixels.
    """
    _check_model_inputs(model, "model", images, "images", labels)
    if not bool(((images == 0) | (images == 1)).all()):
        raise ValueError("images must be binary (0 or 1) for a test log-likelihood under the "
                         "Bernoulli decoder; binarise them once with fixed_binarization(images)")
    require_positive("k", k, integer=True)
    require_positive("samples_per_pass", samples_per_pass, integer=True)
    require_seed("seed", seed)
    model.eval()
    device = next(model.parameters()).device
    rng = torch.Generator(device=device).manual_seed(seed)
    per_pass = max(1, samples_per_pass // k)
    chunk = min(k, samples_per_pass)
    bounds = []
    for start in range(0, len(images), per_pass):
        x = images[start:start + per_pass].to(device)
        y = labels[start:start + per_pass].to(device) if labels is not None else None
        log_w = torch.cat([iwae_log_weights(model, x, min(chunk, k - done), y, rng)
                           for done in range(0, k, chunk)])
        bounds.append(iwae_bound(log_w).cpu())
    return torch.cat(bounds)


def _check_model_inputs(model, model_name: str, x, x_name: str, labels,
                        values: bool = True) -> None:
    """A genlib VAE, a non-empty float batch (in [0, 1] if ``values``: that reads them), and
    labels only for a conditional one (one per image)."""
    if not (hasattr(model, "encode") and hasattr(model, "decode")):
        raise TypeError(f"{model_name} must be a genlib VAE (with encode and decode), got "
                        f"{type(model).__name__}")
    require_tensor(x_name, x, floating=True)
    require_nonempty(x_name, x, "images")
    if values:
        require_unit_interval(x_name, x)
    try:
        params = inspect.signature(model.encode).parameters.values()
        conditional = sum(p.default is inspect.Parameter.empty for p in params) >= 2
    except (TypeError, ValueError):  # no signature to read: trust the caller
        conditional = labels is not None
    if conditional and labels is None:
        raise ValueError(f"{model_name} is a conditional VAE: pass labels, one class per image")
    if not conditional and labels is not None:
        raise ValueError(f"{model_name} is not conditional: it takes no labels (pass labels=None)")
    if labels is not None and (not isinstance(labels, torch.Tensor) or labels.shape != x.shape[:1]):
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must be a tensor of one class per image ({len(x)}), got {shape}")
