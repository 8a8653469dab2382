"""A training history: what a loop measured, step by step, and a picture of it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class History:
    """Metrics logged during training, one list per name, with the step of each entry.

    >>> h = History("demo")
    >>> h.log(0, loss=1.0); h.log(1, loss=0.5)
    >>> h["loss"]
    [1.0, 0.5]
    """

    name: str = ""
    metrics: dict[str, list[float]] = field(default_factory=dict)
    steps: dict[str, list[int]] = field(default_factory=dict)
    stop_reason: str | None = None  # None: finished; else why the loop stopped early
    seconds: float = 0.0  # wall-clock training time
    from_cache: bool = False  # loaded from a checkpoint rather than trained now
    config: dict = field(default_factory=dict)  # what made the model (set by genlib.zoo)

    def log(self, step: int, **values: float) -> None:
        """Record ``values`` (plain floats or 0-d tensors) at ``step``."""
        for key, value in values.items():
            if hasattr(value, "detach"):
                value = value.detach()
            self.metrics.setdefault(key, []).append(float(value))
            self.steps.setdefault(key, []).append(int(step))

    def __getitem__(self, key: str) -> list[float]:
        return self.metrics[key]

    def __contains__(self, key: str) -> bool:
        return key in self.metrics

    def keys(self) -> list[str]:
        return list(self.metrics)

    def last_step(self) -> int:
        """The largest step logged under any name (-1 for an empty history)."""
        return max((s[-1] for s in self.steps.values() if s), default=-1)

    def last(self, key: str) -> float:
        """The most recent value of ``key``."""
        return self.metrics[key][-1]

    @property
    def finished(self) -> bool:
        return self.stop_reason is None

    def state_dict(self) -> dict:
        """Plain lists and numbers, safe for ``torch.load(weights_only=True)``."""
        return {"name": self.name, "metrics": self.metrics, "steps": self.steps,
                "stop_reason": self.stop_reason, "seconds": self.seconds}

    @classmethod
    def from_state_dict(cls, state: dict) -> "History":
        return cls(name=state.get("name", ""), metrics=dict(state.get("metrics", {})),
                   steps=dict(state.get("steps", {})), stop_reason=state.get("stop_reason"),
                   seconds=float(state.get("seconds", 0.0)), from_cache=True)

    def plot(self, keys: list[str] | list[list[str]] | None = None, smooth: int = 1,
             ax=None, figsize=(7, 2.6), logy: bool = False, title: str | None = None):
        """Plot the curves: ``keys`` as a flat list shares one axis; a list of lists draws one
        panel per inner list. ``smooth`` is a moving-average window in entries. Each panel's
        x axis is the step and its y axis names its keys (with their unit, see ``UNITS``);
        ``title`` defaults to the run's name and how it ended."""
        import matplotlib.pyplot as plt

        groups = [keys] if keys and isinstance(keys[0], str) else (keys or [self.keys()])
        if ax is None:
            fig, axes = plt.subplots(1, len(groups), figsize=figsize, squeeze=False)
            axes = list(axes[0])
        else:
            axes = [ax]
            fig = ax.figure
        for panel, group in zip(axes, groups):
            for key in group:
                values = _moving_average(self.metrics[key], smooth)
                steps = self.steps[key][len(self.steps[key]) - len(values):]
                panel.plot(steps, values, label=key)
            panel.set_xlabel("step")
            panel.set_ylabel(axis_label(group))
            if logy:
                panel.set_yscale("log")
            panel.legend(fontsize=8)
        if title is None:
            title = (self.name or "training curves") + (" (loaded from cache)" if self.from_cache else "")
            if self.stop_reason:
                title += f" - stopped: {self.stop_reason}"
        if ax is None and len(axes) > 1:
            fig.suptitle(title, fontsize=9)   # one title over all the panels
        else:
            axes[0].set_title(title, fontsize=9)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        parts = [f"{k}={self.metrics[k][-1]:.4g}" for k in self.metrics if self.metrics[k]]
        status = "finished" if self.finished else f"stopped: {self.stop_reason}"
        return f"History({self.name!r}, {len(self)} entries, {status}, last: {', '.join(parts)})"

    def __len__(self) -> int:
        return max((len(v) for v in self.metrics.values()), default=0)


UNITS = {"d_loss": "nats", "g_loss": "nats", "elbo": "nats per image",
         "log_likelihood": "nats per image", "kl": "nats per image",
         "d_real": "mean D(x)", "d_fake": "mean D(x)", "modes_covered": "modes",
         "high_quality": "share of samples"}


def axis_label(keys: list[str]) -> str:
    """The y label of a panel of ``keys``: the keys, and their unit when they share one."""
    units = {UNITS.get(key) for key in keys}
    unit = units.pop() if len(units) == 1 else None
    return ", ".join(keys) + (f" ({unit})" if unit else "")


def _moving_average(values: list[float], window: int) -> list[float]:
    if window <= 1 or len(values) < window:
        return list(values)
    out, total = [], 0.0
    finite = [v if math.isfinite(v) else 0.0 for v in values]
    for i, v in enumerate(finite):
        total += v
        if i >= window:
            total -= finite[i - window]
        if i >= window - 1:
            out.append(total / window)
    return out
