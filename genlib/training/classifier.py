"""Training the metrics' classifier: plain cross-entropy, Adam, one explicit loop."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import Batches
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam


def train_classifier(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                     epochs: int, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
                     max_seconds: float | None = None, log_every: int = 10,
                     desc: str = "classifier") -> History:
    """Minimise the cross-entropy -log p(y|x) of ``model``'s logits over ``epochs`` passes.

    Logs ``loss`` and batch ``accuracy`` every ``log_every`` steps. The model is left in
    eval mode.
    """
    require_positive("batch_size", batch_size, integer=True)
    require_positive("lr", lr)
    shuffle = torch.Generator().manual_seed(seed)
    batches = Batches(images, labels, batch_size=batch_size, shuffle=True, generator=shuffle)
    optimizer = adam(model.parameters(), lr=lr)
    model.train()
    with TrainingRun(models=[model], desc=desc, max_seconds=max_seconds) as run:
        for step, (x, y) in run.over(batches, epochs):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if not run.check_finite(loss=loss):
                break
            if step % log_every == 0:
                accuracy = (logits.argmax(1) == y).float().mean()
                run.log(step, loss=loss, accuracy=accuracy)
    model.eval()
    return run.history
