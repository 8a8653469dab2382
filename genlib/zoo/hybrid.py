"""Hybrid recipes (notebooks 08 and 09): trained once, cached in ``data/checkpoints``.

    models, history = zoo.pretrained("vaegan")   # encoder, decoder (DCGAN generator), discriminator
    models, history = zoo.pretrained("bigan")    # encoder, generator, discriminator

``vaegan`` trains for at most ``max_seconds`` (the same wall-clock budget as the other models of
notebook 08's comparison) or ``epochs``, whichever ends first.
"""
from __future__ import annotations

from .. import config
from ..data import load_images, resolve_dataset
from ..models.bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from ..models.vaegan import build_vaegan
from ..training.bigan import train_bigan
from ..training.vaegan import train_vaegan
from . import register


def training_images(cfg: dict):
    """The recipe's training images: the whole train split, or its first ``train_images``."""
    images, _ = load_images(cfg["dataset"], "train")
    return images[:cfg["train_images"]] if cfg["train_images"] else images


def vaegan_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": config.choose(quick=2000, full=None),
        "latent_dim": 16, "encoder_width": 32, "decoder_width": 64, "discriminator_width": 64,
        "epochs": config.choose(quick=1, full=20),
        "max_seconds": config.choose(quick=15, full=600),
        "batch_size": 64, "lr": 2e-4, "gamma": 1.0, "kl_weight": 0.01, "seed": 0,
    }


@register("vaegan", vaegan_config, "VAE-GAN of Larsen et al. 2016 on 28x28 images (notebook 08)")
def build_vaegan_recipe(cfg: dict):
    if cfg["dataset"] == "digits":
        raise ValueError("the VAE-GAN's DCGAN decoder makes 28x28 images; use mnist or "
                         "fashion-mnist, not digits")
    config.seed_everything(cfg["seed"])
    models = build_vaegan(cfg["latent_dim"], cfg["encoder_width"], cfg["decoder_width"],
                          cfg["discriminator_width"])

    def train():
        return train_vaegan(models["encoder"], models["decoder"], models["discriminator"],
                            training_images(cfg), epochs=cfg["epochs"],
                            batch_size=cfg["batch_size"], lr=cfg["lr"], gamma=cfg["gamma"],
                            kl_weight=cfg["kl_weight"], seed=cfg["seed"],
                            max_seconds=cfg["max_seconds"], desc=f"VAE-GAN ({cfg['dataset']})")
    return models, train


def bigan_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": config.choose(quick=3000, full=None),
        "latent_dim": 32, "hidden": 512,
        "epochs": config.choose(quick=2, full=15),
        "batch_size": 128, "lr": 2e-4, "seed": 0,
    }


@register("bigan", bigan_config, "BiGAN / ALI with MLPs, 32-d latent (notebook 09)")
def build_bigan_recipe(cfg: dict):
    config.seed_everything(cfg["seed"])
    shape = (1, 8, 8) if cfg["dataset"] == "digits" else (1, 28, 28)
    models = {"encoder": BiGANEncoder(shape, cfg["latent_dim"], cfg["hidden"]),
              "generator": BiGANGenerator(shape, cfg["latent_dim"], cfg["hidden"]),
              "discriminator": BiGANDiscriminator(shape, cfg["latent_dim"], cfg["hidden"])}

    def train():
        return train_bigan(models["encoder"], models["generator"], models["discriminator"],
                           training_images(cfg), epochs=cfg["epochs"],
                           batch_size=cfg["batch_size"], lr=cfg["lr"], seed=cfg["seed"],
                           desc=f"BiGAN ({cfg['dataset']})")
    return models, train
