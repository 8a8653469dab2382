"""``GENLIB_QUICK=1 python tools/device_check.py`` on a machine with CUDA (or MPS): every recipe
of ``make pretrain`` trained in quick mode with a spy around its step that records the device of
every model, tensor and generator the step receives; exit 1 unless all are on the device
``config.get_device()`` picked (or when no GPU is there)."""
import functools
import inspect
import os
import sys
import tempfile

import torch

os.environ.setdefault("GENLIB_QUICK", "1")
os.environ.setdefault("GENLIB_CACHE", tempfile.mkdtemp(prefix="genlib-device-check-"))

from genlib import config, zoo  # noqa: E402


def spying(step, seen):
    @functools.wraps(step)
    def spy(*args, **kwargs):
        for value in [*args, *kwargs.values()]:
            if isinstance(value, torch.nn.Module):
                seen.update((type(value).__name__, str(p.device)) for p in value.parameters())
            elif isinstance(value, (torch.Tensor, torch.Generator)):
                seen.add((type(value).__name__, str(value.device)))
        return step(*args, **kwargs)
    return spy


def main() -> int:
    device = config.get_device()
    print(f"configured device: {device}; torch {torch.__version__}")
    failures = 0
    for recipe, kwargs in zoo.pretrain_plan():
        seen, kwargs = set(), dict(kwargs)
        step = kwargs.pop("step", inspect.signature(recipe).parameters["step"].default)
        _, history = recipe(step=spying(step, seen), retrain=True, **kwargs)
        devices = sorted({d for _, d in seen})
        ok = devices == [str(device)] or devices == [f"{device}:0"]
        failures += not ok
        shown = ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kwargs.items())
        print(f"{'ok  ' if ok else 'FAIL'} {recipe.__name__}({shown}) with {step.__name__}: "
              f"{', '.join(sorted(f'{n} on {d}' for n, d in seen))}; "
              f"{history.last_step() + 1} steps in {history.seconds:.1f} s")
    print(f"{failures} recipes not on {device}" if failures else f"every recipe trained on {device}")
    if device.type == "cpu":
        print("no GPU was found: this check is meant for a machine with CUDA or MPS")
    return 1 if failures or device.type == "cpu" else 0


if __name__ == "__main__":
    sys.exit(main())
