"""Copies of networks taken at chosen steps of one training run (notebook 02's players along
their run, notebook 08's curves of quality against images seen).

The copies are modules of the checkpoint, so they are saved and loaded with the trained
networks: a curve over a run costs that one run, not one run per point.
"""
from __future__ import annotations

import torch
from torch import nn

SNAPSHOT_FRACTIONS = (0.25, 0.5, 1.0)   # of the run's steps, for the image recipes


def snapshot_steps(total: int, fractions=SNAPSHOT_FRACTIONS) -> tuple[int, ...]:
    """The steps after which a run of ``total`` steps is copied: ``fractions`` of it (each
    step once, in a short run where two fractions round to the same step)."""
    return tuple(sorted({max(1, round(f * total)) for f in fractions}))


def planned_snapshots(snapshots: bool, total: int) -> list[int]:
    """An image recipe's ``snapshots`` keyword: the steps to copy its sampling network after
    (1/4, 1/2 and all of a run of ``total`` steps), or none. They join the configuration, so
    a run with snapshots has its own cache key."""
    if not isinstance(snapshots, bool):
        raise TypeError(f"snapshots must be True or False, got {snapshots!r}")
    return list(snapshot_steps(total)) if snapshots else []


class TrainingSnapshots(nn.Module):
    """Copies of networks taken after chosen ``steps`` of training. ``make_networks()`` builds
    one fresh set (a GAN's two players, or the one network a model samples with).
    :meth:`items` gives ``[(step, networks), ...]`` for the copies taken."""

    def __init__(self, steps, make_networks):
        super().__init__()
        self.steps = tuple(int(s) for s in steps)
        with torch.random.fork_rng():  # building the copies leaves the global RNG alone
            # (named "players" since notebook 02's GAN snapshots, whose checkpoints keep the name)
            self.players = nn.ModuleList(nn.ModuleList(make_networks()) for _ in self.steps)
        self.register_buffer("taken", torch.zeros(len(self.steps), dtype=torch.bool))

    def take(self, step: int, *networks: nn.Module) -> None:
        i = self.steps.index(step)
        for copy, network in zip(self.players[i], networks, strict=True):
            copy.load_state_dict(network.state_dict())
        self.taken[i] = True

    def taker(self, *networks: nn.Module):
        """A ``callback(t)`` for :func:`~genlib.training.train` (every step): it copies
        ``networks`` after each of the chosen steps."""
        def callback(t: int) -> None:
            if t + 1 in self.steps:
                self.take(t + 1, *networks)
        return callback

    def items(self) -> list[tuple[int, tuple[nn.Module, ...]]]:
        return [(step, tuple(networks)) for step, networks, taken
                in zip(self.steps, self.players, self.taken) if taken]
