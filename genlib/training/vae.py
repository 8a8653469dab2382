"""``train_vae``: the explicit training loop of the VAE notebooks (05-07).

One step: take a batch, binarise it afresh (dynamic binarisation: each pixel is a Bernoulli
draw with the grey level as its probability, so the model never sees the same binary image
twice), compute the ELBO with one reparameterised sample, and take an Adam step on -ELBO.
"""
from __future__ import annotations

import contextlib
import math
import time
from typing import Callable

import torch

from .. import config
from ..data import Batches, binarize
from ..metrics.likelihood import iwae_log_weights
from ..objectives.elbo import ElboTerms, decoder_log_likelihood, iwae_bound
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam


def model_elbo(model, x: torch.Tensor, labels: torch.Tensor | None = None, beta: float = 1.0,
               free_bits: float = 0.0) -> ElboTerms:
    r"""Per-example ELBO of a genlib VAE and its two terms, from one sample z ~ q(z|x):

        ELBO_beta(x) = log p(x|z) - beta * KL(q(z|x) || N(0, I))     (notebook 05, §2-§5)

    ``model`` is an :class:`~genlib.models.vae.MLPVAE`, ``ConvVAE`` or (with ``labels``)
    ``ConditionalVAE``. With ``free_bits`` = lambda > 0 (notebook 07, §3) the KL of each
    latent dimension, averaged over the batch, counts as at least lambda nats, so the
    optimiser gains nothing by pushing a dimension's information below lambda (Kingma et al.
    2016). ``kl`` in the result is always the true KL.
    """
    logits, mu, logvar = model(x) if labels is None else model(x, labels)
    # under bfloat16 autocast the networks' outputs are bfloat16: the objective is summed in float32
    logits, mu, logvar = (t.float() if t.dtype in (torch.bfloat16, torch.float16) else t
                          for t in (logits, mu, logvar))
    log_likelihood = decoder_log_likelihood(x, logits, model.likelihood, model.sigma)
    kl_per_dim = 0.5 * (logvar.exp() + mu.pow(2) - 1.0 - logvar)  # B x d
    kl = kl_per_dim.sum(-1)
    if free_bits > 0:
        penalty = kl_per_dim.mean(0).clamp(min=free_bits).sum().expand_as(kl)
    else:
        penalty = kl
    return ElboTerms(log_likelihood - beta * penalty, log_likelihood, kl)


def train_vae(model, images: torch.Tensor, labels: torch.Tensor | None = None, *,
              epochs: int = 10, batch_size: int = 128, lr: float = 1e-3, beta: float = 1.0,
              warmup_steps: int = 0, free_bits: float = 0.0, dynamic_binarization: bool = True,
              cosine_lr: bool = False, bf16: bool = False, compile_loss: bool = False,
              seed: int = 0,
              max_seconds: float | None = None,
              callback: Callable[[int], None] | None = None,
              importance_samples: int = 1,
              log_every: int = 20, desc: str = "VAE", device=None,
              progress: bool = True) -> History:
    """Train ``model`` by maximising the ELBO with Adam; return the History.

    Args:
        images: ``N x C x H x W`` grey levels in [0, 1]; ``labels`` (int64, ``N``) only for
            a conditional VAE.
        beta: weight of the KL term (beta-VAE, notebook 07); ``warmup_steps`` ramps it
            linearly from 0 (KL warm-up); ``free_bits``: see :func:`model_elbo`.
        dynamic_binarization: binarise every batch afresh (Bernoulli likelihood). Set False
            for a Gaussian likelihood on grey levels.
        cosine_lr: decay the learning rate from ``lr`` to 0 along half a cosine over the
            run (its progress is the larger of the share of steps and, with ``max_seconds``,
            the share of the time budget spent).
        bf16: run the model under bfloat16 autocast (faster on CPUs with AMX/AVX512-BF16;
            the objective is computed in float32).
        compile_loss: ``torch.compile`` the forward pass and objective (fuses the element-wise
            work; the first steps pay the compilation). Needs a constant beta: no warm-up.
        max_seconds: stop (as finished) after this much wall-clock time.
        importance_samples: K > 1 trains on the importance-weighted bound L_K (IWAE, Burda
            et al. 2016; notebook 06, §4) instead of the ELBO: a tighter bound, so the
            decoder is fitted to a better estimate of log p(x), at K decoder passes a step.
            The history's ``elbo`` is then L_K, and ``log_likelihood`` / ``kl`` are NaN.
            Not with beta != 1, warm-up, free bits or compile_loss.
        callback: called as ``callback(step)`` after every optimiser step (e.g. to keep
            snapshots of the weights at chosen times; ``bench/bench_time_to_quality.py``).
        progress: show a progress bar.

    The history holds ``elbo``, ``log_likelihood`` and ``kl`` (nats per image, averaged
    over the last ``log_every`` steps, and over the last few at the end), ``beta`` (its current value under warm-up) and ``lr``.
    """
    require_positive("epochs", epochs, integer=True)
    require_positive("batch_size", batch_size, integer=True)
    require_positive("lr", lr)
    require_positive("log_every", log_every, integer=True)
    if beta < 0 or free_bits < 0 or warmup_steps < 0:
        raise ValueError(f"beta, free_bits and warmup_steps must be >= 0, got "
                         f"{beta!r}, {free_bits!r}, {warmup_steps!r}")
    if compile_loss and warmup_steps:
        raise ValueError("compile_loss needs a constant beta; it cannot be combined with "
                         "warmup_steps")
    require_positive("importance_samples", importance_samples, integer=True)
    iwae = importance_samples > 1
    if iwae and (beta != 1 or warmup_steps or free_bits or compile_loss):
        raise ValueError("importance_samples > 1 trains on the IWAE bound of the plain model: "
                         "use beta=1 without warm-up, free bits or compile_loss")
    if dynamic_binarization and model.likelihood != "bernoulli":
        raise ValueError("dynamic binarisation goes with a Bernoulli likelihood; "
                         "pass dynamic_binarization=False for a Gaussian one")
    device = torch.device(device) if device is not None else config.get_device()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the reparameterisation noise
    model.to(device).train()
    optimizer = adam(model.parameters(), lr=lr)
    tensors = (images,) if labels is None else (images, labels)
    batches = Batches(*tensors, batch_size=batch_size, shuffle=True, generator=generator)
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if bf16
                else contextlib.nullcontext())
    objective = torch.compile(model_elbo) if compile_loss else model_elbo
    sums, count = {"elbo": 0.0, "log_likelihood": 0.0, "kl": 0.0}, 0
    start = time.perf_counter()
    with TrainingRun(models=[model], desc=desc, max_seconds=max_seconds,
                     progress=progress) as run:
        for step, batch in run.over(batches, epochs):
            x = binarize(batch[0], generator=generator) if dynamic_binarization else batch[0]
            x = x.to(device)
            y = batch[1].to(device) if labels is not None else None
            beta_now = beta * min(1.0, (step + 1) / warmup_steps) if warmup_steps else beta
            if cosine_lr:  # the share of the run done: of its steps or of its time budget
                done = step / run.total
                if max_seconds:
                    done = max(done, (time.perf_counter() - start) / max_seconds)
                for group in optimizer.param_groups:
                    group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))
            with autocast:
                if iwae:  # L_K = log mean_k w_k; its three terms are not separate here
                    bound = iwae_bound(iwae_log_weights(model, x, importance_samples, y,
                                                        grad=True).float())
                    terms = ElboTerms(bound, torch.full_like(bound, math.nan),
                                      torch.full_like(bound, math.nan))
                else:
                    terms = objective(model, x, y, beta=beta_now, free_bits=free_bits)
            loss = -terms.elbo.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if not run.check_finite(loss=loss):
                break
            if callback is not None:
                callback(step)
            for key, value in zip(ElboTerms._fields, terms):
                sums[key] += value.detach().mean().item()
            count += 1
            if count == log_every or step == run.total - 1:
                run.log(step, **{k: v / count for k, v in sums.items()}, beta=beta_now,
                        lr=optimizer.param_groups[0]["lr"])
                sums, count = dict.fromkeys(sums, 0.0), 0
        if count and run.history.stop_reason is None:  # stopped by the time budget: log the rest
            run.log(run.step, **{k: v / count for k, v in sums.items()}, beta=beta_now,
                    lr=optimizer.param_groups[0]["lr"])
    model.eval()
    return run.history
