"""Fitting an approximate posterior q(z) to one model and fixed observations (notebook 09).

No encoder here: each observation x has its own q parameters (non-amortised variational
inference), so the only thing that limits the ELBO is the *family* of q.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..config import torch_threads
from ..models.flows import FlowPosterior, elbo_estimate
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam


def fit_posterior(posterior: FlowPosterior, log_joint: Callable[[torch.Tensor], torch.Tensor],
                  steps: int, n_samples: int = 64, lr: float = 1e-2, log_every: int = 20,
                  desc: str = "fit q", progress: bool = True) -> History:
    """Maximise the ELBO of every observation (summed over the batch) with Adam.

    ``log_joint(z)`` is log p(x, z) for the fixed observations, broadcasting over samples.
    Logs ``elbo``, the mean over observations of the ``n_samples``-sample estimate. Runs on
    one CPU thread: the tensors are tiny (see :func:`genlib.config.torch_threads`).
    """
    require_positive("steps", steps, integer=True)
    require_positive("lr", lr)
    optimizer = adam(posterior.parameters(), lr=lr)
    with torch_threads(1), \
            TrainingRun(total=steps, models=[posterior], desc=desc, progress=progress) as run:
        for step in run:
            elbo = elbo_estimate(posterior, log_joint, n_samples)   # one value per observation
            loss = -elbo.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if not run.check_finite(loss=loss):
                break
            if step % log_every == 0 or step == steps - 1:
                run.log(step, elbo=elbo.mean())
    return run.history
