"""Train every recipe of ``make pretrain`` in quick mode on the GPU and print each model's device.

    GENLIB_QUICK=1 python bench/device_check.py          # on a machine with CUDA (or MPS)

Each recipe is called with a spy around its step that records the device of every model,
batch and generator the step receives; a recipe passes when they are all the device
``genlib.config.get_device()`` picked. Exits 1 if any is not (or no GPU is there).
"""
import functools
import os
import sys
import tempfile

import torch

os.environ.setdefault("GENLIB_QUICK", "1")
os.environ.setdefault("GENLIB_CACHE", tempfile.mkdtemp(prefix="genlib-device-check-"))

from genlib import config, zoo  # noqa: E402
from genlib.steps import (bigan_step, classifier_step, cvae_step, gan_step, vae_step,  # noqa: E402
                          vaegan_step, wgan_step)

DEFAULT_STEPS = {"toy_gan": gan_step, "toy_wgan": wgan_step, "dcgan": gan_step,
                 "classifier": classifier_step, "conv_vae": vae_step, "mlp_vae": vae_step,
                 "vae_2d": vae_step, "beta_vae": vae_step, "cvae": cvae_step,
                 "vaegan": vaegan_step, "bigan": bigan_step}


def spying(step, seen):
    @functools.wraps(step)
    def spy(**kwargs):
        for name, value in kwargs.items():
            if isinstance(value, torch.nn.Module):
                seen.update((name, str(p.device)) for p in value.parameters())
            elif isinstance(value, (torch.Tensor, torch.Generator)):
                seen.add((name, str(value.device)))
        return step(**kwargs)
    return spy


def main() -> int:
    device = config.get_device()
    print(f"configured device: {device}; torch {torch.__version__}")
    failures = 0
    for recipe, kwargs in zoo.pretrain_plan():
        seen = set()
        kwargs = dict(kwargs)
        step = kwargs.pop("step", DEFAULT_STEPS[recipe.__name__])
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
