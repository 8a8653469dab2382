"""Recipes of the GAN track: MLP GANs on the ring of 8 Gaussians and a DCGAN on images.

    models, history = zoo.pretrained("gan_ring8")       # non-saturating GAN   (notebooks 02, 04)
    models, history = zoo.pretrained("wgan_gp_ring8")   # WGAN-GP, same budget (notebook 04)
    models, history = zoo.pretrained("wgan_clip_ring8") # weight clipping, same budget (04)
    models, history = zoo.pretrained("dcgan")           # DCGAN on dataset="auto" (notebook 03)
    models, history = zoo.pretrained("gan_dynamics", data="grid25", loss="saturating")  # 02

The ring recipes share the data, networks, number of generator updates, batch size and seed;
the objective and its optimiser settings differ. Their histories log modes covered and the
share of high-quality samples over training.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import config
from ..data import load_images, resolve_dataset, toy2d
from ..metrics.toy2d import coverage_tracker
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..models.mlp_gan import MLPDiscriminator, MLPGenerator
from ..training.gan import make_gan_optimizers, real_sampler, train_gan
from . import register


# -- 2-D toys -------------------------------------------------------------------------------

def toy_gan_config(loss: str = "non-saturating") -> dict:
    """Settings of an MLP GAN on a 2-D toy. The critics take 5 steps per generator step; WGAN-GP
    uses Gulrajani et al.'s Adam betas (0.5, 0.9) and lambda = 10, weight clipping the original
    paper's RMSProp at 5e-5 with c = 0.01 (Arjovsky et al. 2017, Algorithm 1)."""
    critic = loss.startswith("wgan")
    clipping = loss == "wgan-clip"
    return {
        "data": "ring8",
        "loss": loss,
        "latent_dim": 2,
        "hidden": 128,
        "depth": 3,
        "steps": config.choose(quick=50, full=4000),  # generator updates
        "d_steps": 5 if critic else 1,
        "batch_size": config.choose(quick=256, full=512),
        "optimizer": "rmsprop" if clipping else "adam",
        "lr": 5e-5 if clipping else 1e-3,
        "betas": (0.5, 0.9) if critic else (0.5, 0.999),  # Adam only
        "gp_weight": 10.0 if loss == "wgan-gp" else 0.0,
        "clip": 0.01 if clipping else 0.0,
        "decay_lr": not clipping,
        "seed": 0,
    }


def toy_gan_models(cfg: dict) -> tuple[MLPGenerator, MLPDiscriminator]:
    return (MLPGenerator(cfg["latent_dim"], cfg["hidden"], cfg["depth"]),
            MLPDiscriminator(hidden=cfg["hidden"], depth=cfg["depth"]))


def toy_gan_optimizers(cfg: dict, generator: nn.Module, discriminator: nn.Module):
    """``(opt_g, opt_d)``: Adam (``make_gan_optimizers``) or RMSProp, as ``cfg`` says."""
    if cfg["optimizer"] == "rmsprop":
        return (torch.optim.RMSprop(generator.parameters(), lr=cfg["lr"]),
                torch.optim.RMSprop(discriminator.parameters(), lr=cfg["lr"]))
    return make_gan_optimizers(generator, discriminator, cfg["lr"], cfg["lr"], tuple(cfg["betas"]))


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


def build_toy_gan(cfg: dict):
    """The 2-D recipes; with ``cfg["snapshot_steps"]`` the models also hold ``"snapshots"``
    (:class:`TrainingSnapshots`) of both players at those steps."""
    config.seed_everything(cfg["seed"])
    generator, discriminator = toy_gan_models(cfg)
    models = {"generator": generator, "discriminator": discriminator}
    if cfg.get("snapshot_steps"):
        models["snapshots"] = TrainingSnapshots(cfg["snapshot_steps"], lambda: toy_gan_models(cfg))

    def train():
        noise = torch.Generator().manual_seed(cfg["seed"])
        data = toy2d.get(cfg["data"])
        measure = coverage_tracker(generator, data)

        def watch(step):  # the coverage measure, and the snapshots at their steps
            if "snapshots" in models and step + 1 in models["snapshots"].steps:
                models["snapshots"].take(step + 1, generator, discriminator)
            return measure(step)

        return train_gan(generator, discriminator, real_sampler(data, cfg["batch_size"], noise),
                         cfg["steps"], loss=cfg["loss"], d_steps=cfg["d_steps"],
                         optimizers=toy_gan_optimizers(cfg, generator, discriminator),
                         gp_weight=cfg["gp_weight"], clip=cfg["clip"], decay_lr=cfg["decay_lr"],
                         noise=noise, callback=watch, callback_every=max(1, cfg["steps"] // 20),
                         desc=f"{cfg['data']}, {cfg['loss']}")

    return models, train


def gan_dynamics_config() -> dict:
    """``gan_ring8``'s settings plus snapshots after 5%, 15%, 40% and 100% of the steps
    (notebook 02 overrides ``data`` and ``loss``)."""
    cfg = toy_gan_config("non-saturating")
    every = max(1, cfg["steps"] // 20)  # the coverage callback's interval
    return {**cfg, "snapshot_steps": (every, 3 * every, 8 * every, 20 * every)}


register("gan_ring8", lambda: toy_gan_config("non-saturating"),
         "non-saturating MLP GAN on the ring of 8 Gaussians")(build_toy_gan)
register("wgan_gp_ring8", lambda: toy_gan_config("wgan-gp"),
         "WGAN-GP MLP on the ring of 8 Gaussians, same budget as gan_ring8")(build_toy_gan)
register("gan_dynamics", gan_dynamics_config,
         "MLP GAN on a 2-D toy with snapshots during training (notebook 02)",
         variants=lambda: [{"loss": "saturating"}, {"data": "grid25"}])(build_toy_gan)
register("wgan_clip_ring8", lambda: toy_gan_config("wgan-clip"),
         "WGAN with weight clipping on the ring of 8 Gaussians, same budget as gan_ring8")(
    build_toy_gan)


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
        "width": 32,
        "epochs": config.choose(quick=1, full=5),
        "max_seconds": config.choose(quick=None, full=600),  # the acceptance budget: 10 minutes
        "train_images": config.choose(quick=1024, full=None),  # None: the whole train split
        "batch_size": 64,
        # Adam with beta1 = 0.5 (Radford et al.). With their 2e-4 for both players the
        # discriminator wins early here (mean D about 0.8 on real, 0.15 on fakes); a slower D
        # and a faster G gave better samples per minute in our measurements (bench/bench_gan.py)
        "lr_g": 4e-4,
        "lr_d": 1e-4,
        "betas": (0.5, 0.999),
        "seed": 0,
    }


def dcgan_variants() -> list[dict]:
    from .hybrid import same_budget_overrides  # notebook 08's budget and data
    return [same_budget_overrides()]


@register("dcgan", dcgan_config, "DCGAN on the 'auto' image data set, samples after each epoch",
          variants=dcgan_variants)
def build_dcgan(cfg: dict):
    config.seed_everything(cfg["seed"])
    generator = DCGANGenerator(cfg["latent_dim"], cfg["width"])
    discriminator = DCGANDiscriminator(cfg["width"])
    samples = EpochSamples(cfg["epochs"])

    def train():
        images, _ = load_images(cfg["dataset"], "train")
        if cfg["train_images"]:
            images = images[:cfg["train_images"]]
        noise = torch.Generator().manual_seed(cfg["seed"])
        steps_per_epoch = len(images) // cfg["batch_size"]
        fixed_z = torch.randn(len(samples.images[0]), cfg["latent_dim"],
                              generator=torch.Generator().manual_seed(cfg["seed"] + 1))

        def after_epoch(step):
            epoch = (step + 1) // steps_per_epoch
            generator.eval()
            with torch.no_grad():
                samples.images[epoch - 1] = (generator(fixed_z) + 1) / 2
            samples.epochs_done.fill_(epoch)

        return train_gan(generator, discriminator,
                         real_sampler(images * 2 - 1, cfg["batch_size"], noise),  # [0,1] -> [-1,1]
                         steps_per_epoch * cfg["epochs"], loss="non-saturating",
                         optimizers=make_gan_optimizers(generator, discriminator, cfg["lr_g"],
                                                        cfg["lr_d"], tuple(cfg["betas"])),
                         noise=noise, callback=after_epoch, callback_every=steps_per_epoch,
                         max_seconds=cfg["max_seconds"], log_every=20,
                         desc=f"DCGAN ({cfg['dataset']})")

    return {"generator": generator, "discriminator": discriminator, "samples": samples}, train
