"""GAN recipes: MLP GANs and WGANs on the 2-D toys (notebooks 02, 04), a DCGAN on images (03, 08).

    models, history = zoo.toy_gan(step=gan_step)                       # ring of 8 Gaussians
    models, history = zoo.toy_gan(step=gan_step, saturating=True, snapshots=True)   # notebook 02
    models, history = zoo.toy_wgan(step=wgan_step)                     # WGAN-GP     (notebook 04)
    models, history = zoo.toy_wgan(step=wgan_step, gp_weight=0.0, clip=0.01)  # weight clipping
    models, history = zoo.dcgan(step=gan_step)                         # notebook 03

The toy recipes share the data, networks, number of generator updates, batch size per update
and seed; their histories log modes covered and the share of high-quality samples.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import config
from ..data import load_images, resolve_dataset, toy2d
from ..metrics.toy2d import coverage_tracker
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..models.mlp_gan import MLPDiscriminator, MLPGenerator
from ..steps import gan_step, wgan_step
from ..training import adam, train
from .cache import cached, configure


# -- 2-D toys -------------------------------------------------------------------------------

def toy_config() -> dict:
    """What every toy recipe shares: data, networks, generator updates, batch, seed."""
    return {
        "data": "ring8",
        "latent_dim": 2,
        "hidden": 128,
        "depth": 3,
        "steps": config.choose(quick=50, full=4000),  # generator updates
        "batch_size": config.choose(quick=256, full=512),
        "lr": 1e-3,
        "betas": (0.5, 0.999),
        "decay_lr": True,  # both learning rates fall linearly to 0: the samples settle
        "snapshots": False,  # copies of both players after 5%, 15%, 40%, 100% of the steps
        "seed": 0,
    }


class TrainingSnapshots(nn.Module):
    """Copies of both players taken at chosen generator steps during training, saved and loaded
    with the checkpoint: :meth:`items` gives ``[(step, (generator, discriminator)), ...]``."""

    def __init__(self, steps, make_players):
        super().__init__()
        self.steps = tuple(int(s) for s in steps)
        with torch.random.fork_rng():  # building the copies leaves the global RNG alone
            self.players = nn.ModuleList(nn.ModuleList(make_players()) for _ in self.steps)
        self.register_buffer("taken", torch.zeros(len(self.steps), dtype=torch.bool))

    def take(self, step: int, generator: nn.Module, discriminator: nn.Module) -> None:
        i = self.steps.index(step)
        self.players[i][0].load_state_dict(generator.state_dict())
        self.players[i][1].load_state_dict(discriminator.state_dict())
        self.taken[i] = True

    def items(self) -> list[tuple[int, tuple[nn.Module, nn.Module]]]:
        return [(step, (g, d)) for step, (g, d), taken in zip(self.steps, self.players, self.taken)
                if taken]


def _toy(name: str, cfg: dict, step, settings: dict, players_and_optimizers, batch_size: int,
         retrain: bool):
    """Build and train (or load) a toy recipe; ``players_and_optimizers(G, D)`` gives the
    models and optimisers as the step names them."""
    every = max(1, cfg["steps"] // 20)  # the coverage measure's interval
    snapshot_steps = (every, 3 * every, 8 * every, 20 * every)

    def players():
        return (MLPGenerator(cfg["latent_dim"], cfg["hidden"], cfg["depth"]),
                MLPDiscriminator(hidden=cfg["hidden"], depth=cfg["depth"]))

    def build():
        torch.manual_seed(cfg["seed"])
        G, D = players()
        models = {"generator": G, "discriminator": D}
        if cfg["snapshots"]:
            models["snapshots"] = TrainingSnapshots(snapshot_steps, players)
        return models

    def fit(models):
        G, D = models["generator"], models["discriminator"]
        data = toy2d.get(cfg["data"])
        measure = coverage_tracker(G, data)

        def watch(t):  # the coverage measure, and the snapshots at their steps
            if cfg["snapshots"] and t + 1 in snapshot_steps:
                models["snapshots"].take(t + 1, G, D)
            return measure(t)

        players, optimizers = players_and_optimizers(G, D)
        decay = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1 - i / cfg["steps"])
                 for o in optimizers.values()] if cfg["decay_lr"] else []
        return train(step, players, optimizers,
                     data, steps=cfg["steps"], batch_size=batch_size, seed=cfg["seed"],
                     settings=settings, callback=watch, callback_every=every, schedulers=decay,
                     desc=f"{name} on {cfg['data']}")

    return cached(name, cfg, step, settings, build, fit, retrain)


def toy_gan(step=gan_step, *, retrain: bool = False, **overrides):
    """An MLP GAN on a 2-D toy (ring of 8 Gaussians by default), Adam for both players."""
    cfg, settings = configure(toy_config(), step, {}, overrides)
    def players_and_optimizers(G, D):
        betas = tuple(cfg["betas"])
        return ({"G": G, "D": D}, {"opt_G": adam(G.parameters(), cfg["lr"], betas),
                                   "opt_D": adam(D.parameters(), cfg["lr"], betas)})

    return _toy("toy_gan", cfg, step, settings, players_and_optimizers, cfg["batch_size"],
                retrain)


def toy_wgan(step=wgan_step, *, retrain: bool = False, **overrides):
    """A WGAN on a 2-D toy: 5 critic updates per generator update. With the gradient penalty
    (lambda = 10), Adam with betas (0.5, 0.9), the betas of Gulrajani et al.'s released toy code
    (their Algorithm 1 uses beta1 = 0, beta2 = 0.9); with weight clipping
    (``gp_weight=0.0, clip=0.01``), the original paper's RMSProp at 5e-5 and no decay."""
    settings_default = {"n_critic": 5, "gp_weight": 10.0, "clip": 0.0}
    cfg, settings = configure({**toy_config(), "betas": (0.5, 0.9)}, step, settings_default,
                              overrides)
    if settings.get("gp_weight", 1.0) == 0 and settings.get("clip", 1.0) == 0:
        raise ValueError("toy_wgan needs a Lipschitz constraint on the critic: gp_weight > 0 (the "
                         "gradient penalty) or clip > 0 (weight clipping, with gp_weight=0.0); "
                         "gp_weight=0 and clip=0 train an unconstrained critic")
    clipping = settings.get("clip", 0.0) > 0
    if clipping:
        cfg.update(lr=5e-5, decay_lr=False)

    def players_and_optimizers(G, f):
        if clipping:
            opt_G = torch.optim.RMSprop(G.parameters(), lr=cfg["lr"])
            opt_f = torch.optim.RMSprop(f.parameters(), lr=cfg["lr"])
        else:
            opt_G = adam(G.parameters(), cfg["lr"], tuple(cfg["betas"]))
            opt_f = adam(f.parameters(), cfg["lr"], tuple(cfg["betas"]))
        return {"f": f, "G": G}, {"opt_f": opt_f, "opt_G": opt_G}

    name = "toy_wgan_clip" if clipping else "toy_wgan_gp"
    return _toy(name, cfg, step, settings, players_and_optimizers,
                settings["n_critic"] * cfg["batch_size"], retrain)


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
        "width": 48,  # of the recipe families piloted (bench/dcgan_pilots.py), the wider networks led
        "epochs": config.choose(quick=1, full=5),
        "train_images": config.choose(quick=1024, full=None),  # None: the whole train split
        "batch_size": 64,
        # Adam with beta1 = 0.5 (Radford et al.). With their 2e-4 for both players the
        # discriminator wins early here (mean D about 0.8 on real, 0.15 on fakes); a slower D
        # and a faster G gave better samples per epoch.
        "lr_g": 4e-4,
        "lr_d": 1e-4,
        "betas": (0.5, 0.999),
        "seed": 0,
    }


def dcgan(step=gan_step, *, retrain: bool = False, **overrides):
    """A DCGAN on the image data set, with a grid of samples after every epoch."""
    cfg, settings = configure(dcgan_config(), step, {}, overrides)

    def build():
        torch.manual_seed(cfg["seed"])
        return {"generator": DCGANGenerator(cfg["latent_dim"], cfg["width"]),
                "discriminator": DCGANDiscriminator(cfg["width"]),
                "samples": EpochSamples(cfg["epochs"])}

    def fit(models):
        G, D, samples = models["generator"], models["discriminator"], models["samples"]
        images, _ = load_images(cfg["dataset"], "train", limit=cfg["train_images"])
        per_epoch = len(images) // cfg["batch_size"]
        fixed_z = torch.randn(len(samples.images[0]), cfg["latent_dim"],
                              generator=torch.Generator().manual_seed(cfg["seed"] + 1))

        def after_epoch(t):
            epoch = (t + 1) // per_epoch
            G.eval()
            with torch.no_grad():
                samples.images[epoch - 1] = G(fixed_z.to(next(G.parameters()).device)).cpu()
            samples.epochs_done.fill_(epoch)

        betas = tuple(cfg["betas"])
        return train(step, {"G": G, "D": D}, {"opt_G": adam(G.parameters(), cfg["lr_g"], betas),
                                              "opt_D": adam(D.parameters(), cfg["lr_d"], betas)},
                     images, steps=per_epoch * cfg["epochs"], batch_size=cfg["batch_size"],
                     seed=cfg["seed"], settings=settings, callback=after_epoch,
                     callback_every=per_epoch, desc=f"DCGAN ({cfg['dataset']})")

    return cached("dcgan", cfg, step, settings, build, fit, retrain)
