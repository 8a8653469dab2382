"""GAN recipes: MLP GANs and WGANs on the 2-D toys (notebooks 02, 04), a DCGAN on images (03, 08).

    models, history = zoo.toy_gan(step=gan_step)                       # ring of 8 Gaussians
    models, history = zoo.toy_gan(step=gan_step, settings=dict(saturating=True),
                                  snapshots=True)                      # notebook 02
    models, history = zoo.toy_wgan(step=wgan_step)                     # WGAN-GP     (notebook 04)
    models, history = zoo.toy_wgan(step=wgan_step, settings=dict(gp_weight=0.0, clip=0.01),
                                   optimizer="rmsprop", lr=5e-5, decay_lr=False)  # clipping
    models, history = zoo.dcgan(step=gan_step)                         # notebook 03

``settings`` holds the step's own arguments; every other keyword is a key of the recipe's
configuration (:func:`toy_config`, :func:`dcgan_config`).

The toy recipes share the data, networks, number of generator updates, batch size per update
and seed; their histories log modes covered and the share of high-quality samples.
"""
from __future__ import annotations

import torch
from torch import nn

from ..config import choose
from ..data import resolve_dataset, toy2d
from ..metrics.toy2d import coverage_tracker
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..models.mlp_gan import MLPDiscriminator, MLPGenerator
from ..steps import gan_step, wgan_step
from ..training import TrainingSnapshots, adam, planned_snapshots, train
from .cache import cached
from .images import training_images
from .settings import configure, step_settings


# -- 2-D toys -------------------------------------------------------------------------------

def toy_config() -> dict:
    """What every toy recipe shares: data, networks, generator updates, batch, seed."""
    return {
        "data": "ring8",
        "latent_dim": 2,
        "hidden": 128,
        "depth": 3,
        "steps": choose(quick=50, full=4000),  # generator updates
        "batch_size": choose(quick=256, full=512),
        "lr": 1e-3,
        "betas": (0.5, 0.999),
        "decay_lr": True,  # both learning rates fall linearly to 0: the samples settle
        "snapshots": False,  # copies of both players after 5%, 15%, 40%, 100% of the steps
        "seed": 0,
    }


def _toy_build(cfg: dict, snapshot_at: tuple):
    """``build()`` of a toy recipe: G and D (the critic of a WGAN), and their snapshots."""
    def players():
        return (MLPGenerator(cfg["latent_dim"], cfg["hidden"], cfg["depth"]),
                MLPDiscriminator(hidden=cfg["hidden"], depth=cfg["depth"]))

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        G, D = players()
        models = {"generator": G, "discriminator": D}
        if cfg["snapshots"]:
            models["snapshots"] = TrainingSnapshots(snapshot_at, players)
        return models

    return build


def _toy_fit(name: str, cfg: dict, models: dict, update, optimizers: list, batch_size: int,
             snapshot_at: tuple, every: int):
    """Train a toy recipe's players with ``update``; log coverage, take the snapshots."""
    G, D = models["generator"], models["discriminator"]
    data = toy2d.get(cfg["data"])
    measure = coverage_tracker(G, data)

    def watch(t):  # the coverage measure, and the snapshots at their steps
        if cfg["snapshots"] and t + 1 in snapshot_at:
            models["snapshots"].take(t + 1, G, D)
        return measure(t)

    decay = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1 - i / cfg["steps"])
             for o in optimizers] if cfg["decay_lr"] else []
    return train(update, data, models=[G, D], optimizers=optimizers, steps=cfg["steps"],
                 batch_size=batch_size, seed=cfg["seed"], callback=watch, callback_every=every,
                 schedulers=decay, desc=f"{name} on {cfg['data']}")


def _snapshot_steps(cfg: dict) -> tuple[int, tuple]:
    """The coverage measure's interval, and the steps after 5%, 15%, 40%, 100% of the run."""
    every = max(1, cfg["steps"] // 20)
    return every, (every, 3 * every, 8 * every, 20 * every)


def toy_gan(step=gan_step, *, settings: dict | None = None, retrain: bool = False, **config):
    """An MLP GAN on a 2-D toy (ring of 8 Gaussians by default), Adam for both players.
    ``settings``: the step's ``saturating`` (default False), passed to every step."""
    cfg = configure("toy_gan", toy_config(), config)
    settings = step_settings("toy_gan", settings, {"saturating": False})
    every, snapshot_at = _snapshot_steps(cfg)

    def fit(models):
        G, D = models["generator"], models["discriminator"]
        opt_G = adam(G.parameters(), cfg["lr"], cfg["betas"])
        opt_D = adam(D.parameters(), cfg["lr"], cfg["betas"])
        update = lambda x, rng, t: step(G, D, opt_G, opt_D, x, rng, **settings)
        return _toy_fit("toy_gan", cfg, models, update, [opt_G, opt_D], cfg["batch_size"],
                        snapshot_at, every)

    return cached("toy_gan", cfg, step, settings, _toy_build(cfg, snapshot_at), fit, retrain)


def toy_wgan(step=wgan_step, *, settings: dict | None = None, retrain: bool = False, **config):
    """A WGAN on a 2-D toy: ``n_critic`` = 5 critic updates per generator update, each on its
    own batch of ``batch_size`` points.

    ``settings``: the step's ``n_critic``, ``gp_weight`` (default 10, the gradient penalty) and
    ``clip`` (default 0). The default optimiser is Adam at 3e-4 (Gulrajani et al.'s toy code
    uses 1e-4), decayed linearly to 0, with betas (0.5, 0.9), the betas of that code (their
    Algorithm 1 uses beta1 = 0, beta2 = 0.9).
    Weight clipping (``settings=dict(gp_weight=0.0, clip=0.01)``) must name its optimiser: the
    original paper's is ``optimizer="rmsprop", lr=5e-5, decay_lr=False`` (Arjovsky et al.
    found momentum unstable with clipping), and a clipping run that leaves the optimiser at
    this recipe's Adam default is refused rather than trained in a way the paper did not."""
    cfg = configure("toy_wgan", {**toy_config(), "lr": 3e-4, "betas": (0.5, 0.9),
                                 "optimizer": "adam"}, config)
    settings = step_settings("toy_wgan", settings,
                             {"n_critic": 5, "gp_weight": 10.0, "clip": 0.0})
    if settings["gp_weight"] == 0 and settings["clip"] == 0:
        raise ValueError("toy_wgan needs a Lipschitz constraint on the critic: gp_weight > 0 (the "
                         "gradient penalty) or clip > 0 (weight clipping, with gp_weight=0.0); "
                         "gp_weight=0 and clip=0 train an unconstrained critic")
    if settings["clip"] > 0 and "optimizer" not in config:
        raise ValueError("toy_wgan with clip > 0 (weight clipping) needs its optimizer named: "
                         "the original paper's is optimizer='rmsprop', lr=5e-5, decay_lr=False")
    every, snapshot_at = _snapshot_steps(cfg)

    def optimizer(model):
        if cfg["optimizer"] == "rmsprop":
            return torch.optim.RMSprop(model.parameters(), lr=cfg["lr"])
        return adam(model.parameters(), cfg["lr"], cfg["betas"])

    def fit(models):
        G, f = models["generator"], models["discriminator"]   # f: the critic
        opt_G, opt_f = optimizer(G), optimizer(f)
        update = lambda x, rng, t: step(f, G, opt_f, opt_G, x, rng, **settings)
        return _toy_fit("toy_wgan", cfg, models, update, [opt_f, opt_G],
                        settings["n_critic"] * cfg["batch_size"], snapshot_at, every)

    return cached("toy_wgan", cfg, step, settings, _toy_build(cfg, snapshot_at), fit, retrain)


# -- DCGAN on images ------------------------------------------------------------------------

class EpochSamples(nn.Module):
    """Images generated from one fixed batch of noise after each epoch (a buffer, so they are
    saved and loaded with the weights): ``images[e]`` is the grid after epoch e + 1."""

    def __init__(self, epochs: int, n_images: int = 16, size: int = 28):
        super().__init__()
        self.register_buffer("images", torch.zeros(epochs, n_images, 1, size, size))
        self.register_buffer("epochs_done", torch.zeros((), dtype=torch.long))


def dcgan_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "latent_dim": 64,
        "width": 48,  # of the widths tried, the wider networks gave the better samples
        "epochs": choose(quick=1, full=5),
        "train_images": choose(quick=1024, full=None),  # None: the whole train split
        "batch_size": 64,
        # Adam with beta1 = 0.5 (Radford et al.). With their 2e-4 for both players the
        # discriminator wins early here (mean D about 0.8 on real, 0.15 on fakes); a slower D
        # and a faster G gave better samples per epoch.
        "lr_g": 4e-4,
        "lr_d": 1e-4,
        "betas": (0.5, 0.999),
        "seed": 0,
    }


def dcgan(step=gan_step, *, settings: dict | None = None, retrain: bool = False,
          snapshots: bool = False, **config):
    """A DCGAN on the image data set, with a grid of samples after every epoch.
    ``settings``: the step's ``saturating`` (default False), passed to every step.
    ``snapshots``: also keep copies of G along the run (``models["snapshots"]``, notebook 08)."""
    cfg = configure("dcgan", dcgan_config(), config)
    settings = step_settings("dcgan", settings, {"saturating": False})
    if snapshots:
        cfg["snapshots"] = planned_snapshots(snapshots, training_images(cfg)[1])
    make_generator = lambda: DCGANGenerator(cfg["latent_dim"], cfg["width"])

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        models = {"generator": make_generator(), "discriminator": DCGANDiscriminator(cfg["width"]),
                  "samples": EpochSamples(cfg["epochs"])}
        if snapshots:
            models["snapshots"] = TrainingSnapshots(cfg["snapshots"], lambda: (make_generator(),))
        return models

    def fit(models):
        G, D, samples = models["generator"], models["discriminator"], models["samples"]
        images, steps = training_images(cfg)
        per_epoch = steps // cfg["epochs"]
        fixed_z = torch.randn(len(samples.images[0]), cfg["latent_dim"],
                              generator=torch.Generator().manual_seed(cfg["seed"] + 1))

        keep = models["snapshots"].taker(G) if snapshots else lambda t: None

        def after_step(t):   # the snapshots, and the samples after each epoch
            keep(t)
            if (t + 1) % per_epoch:
                return
            epoch = (t + 1) // per_epoch
            G.eval()
            with torch.no_grad():
                samples.images[epoch - 1] = G(fixed_z.to(next(G.parameters()).device)).cpu()
            samples.epochs_done.fill_(epoch)

        opt_G = adam(G.parameters(), cfg["lr_g"], cfg["betas"])
        opt_D = adam(D.parameters(), cfg["lr_d"], cfg["betas"])
        update = lambda x, rng, t: step(G, D, opt_G, opt_D, x, rng, **settings)
        return train(update, images, models=[G, D], optimizers=[opt_G, opt_D], steps=steps,
                     batch_size=cfg["batch_size"], seed=cfg["seed"], callback=after_step,
                     callback_every=1, desc=f"DCGAN ({cfg['dataset']})")

    return cached("dcgan", cfg, step, settings, build, fit, retrain)
