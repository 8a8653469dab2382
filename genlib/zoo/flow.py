"""Flow-matching recipes (notebook 12): a flow on the ring of 8 Gaussians and a class-conditional
one on 28 x 28 images.

    models, history = zoo.toy_flow(step=flow_matching_step)        # MLP velocity on ring8
    models, history = zoo.flow_matching(step=flow_matching_step)   # U-Net velocity, 10 classes
    sample = zoo.flow_image_sampler(models)                         # sample(n, rng, y=None)

``toy_flow``'s models hold the ``velocity``; ``flow_matching``'s the ``velocity`` network and
``ema``, the exponential moving average of its weights (what the sampler uses). Both train with
Adam and a cosine decay of the learning rate; the toy's history logs modes covered and the
high-quality share of 2000 Euler samples at the end, the image recipe's the step's loss.
"""
from __future__ import annotations

import copy
import math

import torch

from ..checks import require_int
from ..config import choose
from ..data import load_images, resolve_dataset, toy2d
from ..metrics.toy2d import mode_coverage
from ..models.denoiser import ConvDenoiser, MLPDenoiser
from ..sampling import flow_sample
from ..steps.flow import flow_matching_step
from ..training import TrainingSnapshots, adam, average_weights, planned_snapshots, train
from .cache import cached
from .settings import configure, step_settings


def toy_flow_config() -> dict:
    return {
        "data": "ring8",
        "hidden": 256,
        "depth": 3,
        "steps": choose(quick=300, full=5000),
        "batch_size": 256,
        "lr": 1e-3,
        "seed": 0,
    }


def toy_flow(step=flow_matching_step, *, settings: dict | None = None, retrain: bool = False,
             **config):
    """Flow matching with an MLP velocity on a 2-D toy (notebook 12); the step has no
    settings here."""
    cfg = configure("toy_flow", toy_flow_config(), config)
    settings = step_settings("toy_flow", settings, {})

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        return {"velocity": MLPDenoiser(2, cfg["hidden"], cfg["depth"])}

    def fit(models):
        velocity, data = models["velocity"], toy2d.get(cfg["data"])
        opt = adam(velocity.parameters(), cfg["lr"])

        def measure(t):
            velocity.eval()
            x_1 = torch.randn(2000, 2, generator=torch.Generator().manual_seed(1234))
            result = mode_coverage(flow_sample(velocity, x_1, 50), data.modes, data.std)
            return {"modes_covered": result.modes_covered, "high_quality": result.high_quality}

        update = lambda x, rng, t: step(velocity, opt, x, rng, **settings)
        return train(update, data, models=[velocity], optimizers=[opt], steps=cfg["steps"],
                     batch_size=cfg["batch_size"], seed=cfg["seed"],
                     schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["steps"])],
                     callback=measure, callback_every=cfg["steps"], log_every=50,
                     desc=f"flow matching on {cfg['data']}")

    return cached("toy_flow", cfg, step, settings, build, fit, retrain)


def flow_matching_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": choose(quick=2000, full=None),   # None: the whole train split
        "width": choose(quick=8, full=24),
        "time_dim": choose(quick=32, full=256),
        "classes": 10,
        "steps": choose(quick=30, full=math.ceil(300_000 / 128)),   # full: the DCGAN's 300k images
        "batch_size": 128,
        "lr": 1e-3,
        "ema": 0.999,
        "seed": 0,
    }


def flow_matching(step=flow_matching_step, *, settings: dict | None = None,
                  retrain: bool = False, snapshots: bool = False, **config):
    """Class-conditional flow matching with a small U-Net velocity on 28 x 28 images (notebook
    12), trained on ``2 x - 1`` with ``settings``' ``label_dropout`` (default 0.1: the share of
    each batch whose class is replaced by "no class"), ``rescale`` (default True) and
    ``logit_normal`` (default True: t = sigmoid(n), n ~ N(0, 1)). After
    every step the ``ema`` network moves towards the trained one by ``1 - decay``, with
    ``decay = min(ema, (1 + t) / (10 + t))`` (the usual warm-up). ``snapshots``: also keep
    copies of the ``ema`` network along the run (``models["snapshots"]``, notebook 08)."""
    cfg = configure("flow_matching", flow_matching_config(), config)
    settings = step_settings("flow_matching", settings,
                             {"label_dropout": 0.1, "rescale": True, "logit_normal": True})
    require_int("classes", cfg["classes"], minimum=1)
    if snapshots:
        cfg["snapshots"] = planned_snapshots(snapshots, cfg["steps"])
    make_velocity = lambda: ConvDenoiser(1, cfg["width"], cfg["time_dim"], classes=cfg["classes"])

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        velocity = make_velocity()
        models = {"velocity": velocity, "ema": copy.deepcopy(velocity).requires_grad_(False)}
        if snapshots:
            models["snapshots"] = TrainingSnapshots(cfg["snapshots"], lambda: (make_velocity(),))
        return models

    def fit(models):
        velocity, ema = models["velocity"], models["ema"]
        images, labels = load_images(cfg["dataset"], "train", limit=cfg["train_images"])
        opt = adam(velocity.parameters(), cfg["lr"])

        def update(batch, rng, t):
            x, y = batch
            logged = step(velocity, opt, x, rng, y=y, **settings)
            average_weights(ema, velocity, t, cfg["ema"])
            return logged

        return train(update, (images, labels), models=[velocity, ema], optimizers=[opt],
                     steps=cfg["steps"], batch_size=cfg["batch_size"], seed=cfg["seed"],
                     schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["steps"])],
                     callback=models["snapshots"].taker(ema) if snapshots else None,
                     callback_every=1, log_every=choose(quick=5, full=20),
                     desc=f"flow matching ({cfg['dataset']})")

    return cached("flow_matching", cfg, step, settings, build, fit, retrain)


def flow_image_sampler(models: dict, steps: int = 50, method: str = "euler",
                       guidance: float = 0.0):
    """``sample(n, rng, y=None)``: ``n`` images in [0, 1] from the image flow ``models`` (as
    :func:`flow_matching` returns them; the ``ema`` network), integrated with ``steps`` steps
    of ``method``; ``y``: one class per image, guided with weight ``guidance``
    (:func:`genlib.sampling.flow_sample`), or ``None``: no class (and no guidance). Drawn in batches of 250 from ``rng``."""
    velocity = models["ema"]

    def sample(n: int, rng: torch.Generator, y: torch.Tensor | None = None) -> torch.Tensor:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive whole number of images, got {n!r}")
        if not isinstance(rng, torch.Generator):
            raise TypeError(f"rng must be a torch.Generator, got {type(rng).__name__}")
        if y is not None and (not isinstance(y, torch.Tensor) or y.shape != (n,)):
            raise ValueError(f"y must be a tensor of {n} classes (one per image), or None")
        out = []
        for i in range(0, n, 250):
            x_1 = torch.randn(min(250, n - i), velocity.channels, 28, 28, generator=rng)
            y_i = None if y is None else y[i:i + len(x_1)]
            x_0 = flow_sample(velocity, x_1, steps, method, y=y_i,
                              guidance=0.0 if y is None else guidance)
            out.append(((x_0 + 1) / 2).clamp(0, 1))
        return torch.cat(out)

    return sample


def flow_decoder(models: dict, steps: int = 50, method: str = "euler"):
    """The flow's ODE as a deterministic decoder ``z -> image``, without a class: ``z`` is
    ``B x 784`` noise x_1, integrated from t = 1 to 0 with ``steps`` steps of ``method`` (the
    ``ema`` network), the result images in [0, 1]. For :class:`genlib.metrics.compare.Contender`,
    whose ``sample`` draws z ~ N(0, I): ``Contender("flow", flow_decoder(models), 784)``."""
    velocity = models["ema"]

    def decode(z: torch.Tensor) -> torch.Tensor:
        size = 784 * velocity.channels
        if not isinstance(z, torch.Tensor) or z.dim() < 2 or z[0].numel() != size:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must be B x {size} noise (one x_1 per image), got {got}")
        x_0 = flow_sample(velocity, z.reshape(len(z), velocity.channels, 28, 28), steps, method)
        return ((x_0 + 1) / 2).clamp(0, 1)

    return decode
