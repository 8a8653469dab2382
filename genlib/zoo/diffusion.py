"""Diffusion recipes (notebook 11): a DDPM on the ring of 8 Gaussians and one on 28 x 28 images.

    models, history = zoo.toy_ddpm(step=ddpm_step)       # MLP denoiser on ring8
    models, history = zoo.ddpm(step=ddpm_step)           # U-Net denoiser on the image data set
    models, history = zoo.ddpm(step=v_ddpm_step, prediction="v", ema=0.999, ...)   # predicts v
    sample = zoo.image_sampler(models)                    # sample(n, rng): images in [0, 1]

``models`` holds the ``denoiser`` (a noise predictor, what the samplers take) and its
``schedule`` (a :class:`NoiseSchedule`, saved with it); the image recipe's also the ``network``
it trains (the denoiser itself, or with ``ema`` its weight average, or with ``prediction="v"`` the
average's noise prediction, :class:`NoiseFromV`). Both recipes train with Adam and a cosine decay of the learning rate, for a number of
steps; the toy's history logs modes covered and the high-quality share of 2000 samples at the
end, the image recipe's the step's loss.
"""
from __future__ import annotations

import copy

import torch

from ..config import choose
from ..checks import require_int
from ..data import load_images, resolve_dataset, toy2d
from ..metrics.toy2d import mode_coverage
from ..models.denoiser import ConvDenoiser, MLPDenoiser, NoiseFromV
from ..sampling import ddim_sample, ddpm_sample
from ..objectives.diffusion import NoiseSchedule, cosine_betas, linear_betas
from ..steps.diffusion import ddpm_step
from ..training import TrainingSnapshots, adam, average_weights, planned_snapshots, train
from .cache import cached
from .settings import configure, step_settings


def make_schedule(kind: str, T: int) -> NoiseSchedule:
    """``"cosine"`` (Nichol & Dhariwal 2021) or ``"linear"``: Ho et al.'s 1e-4 .. 0.02 for
    T = 1000, both ends scaled by 1000 / T so that abar_T stays near 0 for a shorter chain."""
    require_int("T", T, minimum=1)
    if kind == "cosine":
        return NoiseSchedule(cosine_betas(T))
    if kind == "linear":
        return NoiseSchedule(linear_betas(T, 1e-4 * 1000 / T, min(0.02 * 1000 / T, 0.5)))
    raise ValueError(f"schedule must be 'cosine' or 'linear', got {kind!r}")


def toy_ddpm_config() -> dict:
    return {
        "data": "ring8",
        "T": 100,
        "noise_schedule": "linear",
        "hidden": 256,
        "depth": 3,
        "steps": choose(quick=300, full=5000),
        "batch_size": 256,
        "lr": 1e-3,
        "seed": 0,
    }


def toy_ddpm(step=ddpm_step, *, settings: dict | None = None, retrain: bool = False,
             **config):
    """A DDPM with an MLP denoiser on a 2-D toy (notebook 11). ``settings``: the step's
    ``rescale`` (default False: the ring is not rescaled)."""
    cfg = configure("toy_ddpm", toy_ddpm_config(), config)
    settings = step_settings("toy_ddpm", settings, {}, optional={"rescale": False})

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        return {"denoiser": MLPDenoiser(2, cfg["hidden"], cfg["depth"]),
                "schedule": make_schedule(cfg["noise_schedule"], cfg["T"])}

    def fit(models):
        denoiser, schedule = models["denoiser"], models["schedule"]
        data = toy2d.get(cfg["data"])
        opt = adam(denoiser.parameters(), cfg["lr"])

        def measure(t):
            denoiser.eval()
            chain = ddpm_sample(denoiser, schedule, (2000, 2), torch.Generator().manual_seed(1234))
            result = mode_coverage(chain.samples, data.modes, data.std)
            return {"modes_covered": result.modes_covered, "high_quality": result.high_quality}

        update = lambda x, rng, t: step(denoiser, schedule, opt, x, rng, **settings)
        return train(update, data, models=[denoiser], optimizers=[opt], steps=cfg["steps"],
                     batch_size=cfg["batch_size"], seed=cfg["seed"],
                     schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["steps"])],
                     callback=measure, callback_every=cfg["steps"], log_every=50,
                     desc=f"DDPM on {cfg['data']}")

    return cached("toy_ddpm", cfg, step, settings, build, fit, retrain)


def ddpm_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": choose(quick=2000, full=None),   # None: the whole train split
        "T": choose(quick=50, full=200),
        "noise_schedule": "linear",
        "width": choose(quick=8, full=16),
        "prediction": "eps",   # what the network predicts: "eps" (the noise) or "v"
        "ema": 0.0,            # decay of the weight average (0: none)
        "steps": choose(quick=30, full=1000),
        "batch_size": 128,
        "lr": 1e-3,
        "seed": 0,
    }


def ddpm(step=ddpm_step, *, settings: dict | None = None, retrain: bool = False,
         snapshots: bool = False, **config):
    """A DDPM with a small U-Net on 28 x 28 images (notebook 11), trained on ``2 x - 1``:
    ``settings``' ``rescale`` defaults to True here. ``prediction``: what the step trains the
    network to predict, ``"eps"`` (:func:`ddpm_step`) or ``"v"`` (``v_ddpm_step``); ``ema``:
    after every step the average moves towards the network by ``1 - decay``, with ``decay =
    min(ema, (1 + t) / (10 + t))`` (the usual warm-up), and the denoiser is the average.
    ``snapshots``: also keep copies of the denoiser along the run (``models["snapshots"]``)."""
    cfg = configure("ddpm", ddpm_config(), config)
    settings = step_settings("ddpm", settings, {"rescale": True})
    if snapshots:
        cfg["snapshots"] = planned_snapshots(snapshots, cfg["steps"])

    def denoiser_of(network, schedule):
        return network if cfg["prediction"] == "eps" else NoiseFromV(network, schedule)

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        network, schedule = (ConvDenoiser(1, cfg["width"]),
                             make_schedule(cfg["noise_schedule"], cfg["T"]))
        average = copy.deepcopy(network).requires_grad_(False) if cfg["ema"] else network
        models = {"network": network, "denoiser": denoiser_of(average, schedule),
                  "schedule": schedule}
        if snapshots:
            models["snapshots"] = TrainingSnapshots(cfg["snapshots"], lambda: (denoiser_of(
                ConvDenoiser(1, cfg["width"]), schedule),))
        return models

    def fit(models):
        network, schedule = models["network"], models["schedule"]
        average = models["denoiser"] if cfg["prediction"] == "eps" else models["denoiser"].v_net
        images, _ = load_images(cfg["dataset"], "train", limit=cfg["train_images"])
        opt = adam(network.parameters(), cfg["lr"])

        def update(x, rng, t):
            logged = step(network, schedule, opt, x, rng, **settings)
            if cfg["ema"]:
                average_weights(average, network, t, cfg["ema"])
            return logged

        return train(update, images, models=list(models.values()), optimizers=[opt],
                     steps=cfg["steps"], batch_size=cfg["batch_size"], seed=cfg["seed"],
                     schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["steps"])],
                     callback=models["snapshots"].taker(models["denoiser"]) if snapshots else None,
                     callback_every=1, log_every=choose(quick=5, full=20),
                     desc=f"DDPM ({cfg['dataset']})")

    return cached("ddpm", cfg, step, settings, build, fit, retrain)


def image_sampler(models: dict, steps: int | None = 25, clip: bool = True, eta: float = 0.0):
    """``sample(n, rng)``: ``n`` images in [0, 1] from the image DDPM ``models`` (as
    :func:`ddpm` returns them), with DDIM over ``steps`` steps (``eta = 1``: the ancestral
    chain on those steps; ``steps=None``: ancestral sampling over all T), drawn in batches of
    250 from the generator ``rng``."""
    denoiser, schedule = models["denoiser"], models["schedule"]

    def sample(n: int, rng: torch.Generator) -> torch.Tensor:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive whole number of images, got {n!r}")
        if not isinstance(rng, torch.Generator):
            raise TypeError(f"rng must be a torch.Generator, got {type(rng).__name__}")
        out = []
        for i in range(0, n, 250):
            shape = (min(250, n - i), denoiser.channels, 28, 28)
            if steps is None:
                out.append(ddpm_sample(denoiser, schedule, shape, rng, rescale=True,
                                       clip=clip).samples)
            else:
                out.append(ddim_sample(denoiser, schedule, shape, rng, steps=steps, eta=eta,
                                       rescale=True, clip=clip))
        return torch.cat(out)

    return sample


def ddpm_decoder(models: dict, steps: int = 25):
    """DDIM (eta = 0) as a deterministic decoder ``z -> image``: ``z`` is ``B x 784`` noise
    x_T, the result images in [0, 1]. For :class:`genlib.metrics.compare.Contender`, whose
    ``sample`` draws z ~ N(0, I): ``Contender("DDPM", ddpm_decoder(models), 784)``."""
    denoiser, schedule = models["denoiser"], models["schedule"]

    def decode(z: torch.Tensor) -> torch.Tensor:
        size = 784 * denoiser.channels
        if not isinstance(z, torch.Tensor) or z.dim() < 2 or z[0].numel() != size:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must be B x {size} noise (one x_T per image), got {got}")
        return ddim_sample(denoiser, schedule, None, None, steps=steps, rescale=True, clip=True,
                           x_T=z.reshape(len(z), denoiser.channels, 28, 28))

    return decode
