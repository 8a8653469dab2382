"""What the epoch-based image recipes share: their training images and their number of steps."""
from __future__ import annotations

from ..data import load_images


def training_images(cfg: dict, labels: bool = False):
    """``(data, steps)``: the first ``cfg["train_images"]`` training images of
    ``cfg["dataset"]`` (all of them for None), as a pair ``(images, labels)`` if ``labels``,
    and the number of steps of ``cfg["epochs"]`` passes in batches of ``cfg["batch_size"]``."""
    images, y = load_images(cfg["dataset"], "train", limit=cfg["train_images"])
    steps = cfg["epochs"] * max(1, len(images) // cfg["batch_size"])
    return ((images, y) if labels else images), steps
