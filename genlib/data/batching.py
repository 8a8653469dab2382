"""Mini-batches straight from whole-data-set tensors, and dynamic binarisation.

For data that fits in memory (everything in this collection), a ``DataLoader`` over a
per-item ``Dataset`` spends most of its time in Python, one item at a time. :class:`Batches`
keeps each data set as one tensor, draws one ``torch.randperm`` per epoch and slices it::

    for x, y in Batches(images, labels, batch_size=128, rng=rng):
        ...
"""
from __future__ import annotations

from typing import Iterator

import torch

from ..checks import require_positive


class Batches:
    """Iterate over mini-batches of one or more equally long tensors.

    Args:
        *tensors: tensors with the same first dimension (e.g. images and labels).
        batch_size: a positive int.
        shuffle: draw a new random order (``torch.randperm``) at the start of every epoch.
        drop_last: skip the final, smaller batch.
        rng: a ``torch.Generator`` for reproducible shuffling.
        device: if given, every tensor is moved there once, up front.

    Iterating yields a tuple with one batch tensor per input tensor, even for one tensor:
    ``for (x,) in Batches(images, batch_size=64)``. ``len()`` is the number of batches.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False, rng: torch.Generator | None = None,
                 device: torch.device | str | None = None) -> None:
        require_positive("batch_size", batch_size, integer=True)
        if not tensors:
            raise ValueError("Batches needs at least one tensor, e.g. Batches(images, "
                             "labels, batch_size=128)")
        sizes = {len(t) for t in tensors}
        if len(sizes) != 1:
            raise ValueError(f"all tensors need the same first dimension, got "
                             f"{[len(t) for t in tensors]}")
        self.tensors = tuple(t if device is None else t.to(device) for t in tensors)
        self.n = sizes.pop()
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = rng

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        stop = len(self) * self.batch_size
        if not self.shuffle:  # slices are views: no copying at all
            for start in range(0, stop, self.batch_size):
                yield tuple(t[start:start + self.batch_size] for t in self.tensors)
            return
        rng = self.rng
        order = torch.randperm(self.n, generator=rng, device=rng.device if rng else "cpu")
        order = order.to(self.tensors[0].device)
        for start in range(0, stop, self.batch_size):
            index = order[start:start + self.batch_size]
            # index_select: one gather per tensor, about twice as fast as t[index]
            yield tuple(t.index_select(0, index) for t in self.tensors)

    def __repr__(self) -> str:
        return (f"Batches(n={self.n}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, batches={len(self)})")


def binarize(images: torch.Tensor, rng: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarisation: each pixel becomes 1 with probability equal to its value.

    ``images`` must lie in ``[0, 1]``; the result has the same shape and dtype, values 0 or 1,
    and a fresh draw on every call (the VAE track uses it as data augmentation for a
    Bernoulli likelihood).
    """
    if images.numel() and torch.isnan(images).any():
        raise ValueError("images must hold pixel values in [0, 1] (as load_images returns), "
                         "got NaN")
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError("images must hold pixel values in [0, 1] (as load_images returns), got "
                         f"values from {images.min().item():.3g} to {images.max().item():.3g}")
    return torch.bernoulli(images, generator=rng)
