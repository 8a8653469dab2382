"""Hybrid recipes (notebooks 08 and 09): trained once, cached in ``data/checkpoints``.

    models, history = zoo.pretrained("vaegan")     # encoder, decoder (DCGAN generator), discriminator
    models, history = zoo.pretrained("bigan")      # encoder, generator, discriminator

Notebook 08 compares three models trained on the same data for the same wall-clock budget
(``max_seconds``, shared by :func:`same_budget_settings`): the GAN track's ``dcgan`` (its own
recipe, given the budget and the data), the VAE track's convolutional VAE with that recipe's
sizes and optimiser settings, trained for the budget (``conv_vae_same_budget``: the VAE recipes
have no time budget), and ``vaegan``, whose decoder and discriminator have the sizes of the
track's DCGAN.
"""
from __future__ import annotations

import torch

from .. import config
from ..data import load_images, resolve_dataset
from ..models.bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from ..models.conv_vae import ConvVAE
from ..models.vaegan import build_vaegan
from ..training.bigan import train_bigan
from ..training.vae import train_vae
from ..training.vaegan import train_vaegan
from . import register


def training_images(cfg: dict):
    """The recipe's training images: the whole train split, or its first ``train_images``."""
    images, _ = load_images(cfg["dataset"], "train")
    return images[:cfg["train_images"]] if cfg["train_images"] else images


def vaegan_config() -> dict:
    gan = track_settings("dcgan", ("latent_dim", "width", "batch_size"))
    return {
        **same_budget_settings(),
        "latent_dim": gan["latent_dim"], "encoder_width": 32,
        "decoder_width": gan["width"], "discriminator_width": gan["width"],
        "batch_size": gan["batch_size"], "lr": 2e-4, "gamma": 1.0, "kl_weight": 1e-3,
        "pixel_weight": 1.0,
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
                            training_images(cfg), epochs=cfg["max_epochs"],
                            batch_size=cfg["batch_size"], lr=cfg["lr"], gamma=cfg["gamma"],
                            kl_weight=cfg["kl_weight"], pixel_weight=cfg["pixel_weight"],
                            seed=cfg["seed"],
                            max_seconds=cfg["max_seconds"],
                            desc=f"VAE-GAN, {cfg['max_seconds']} s ({cfg['dataset']})")
    return models, train


def bigan_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": config.choose(quick=1024, full=None),
        "latent_dim": 32, "hidden": 512,
        "epochs": config.choose(quick=2, full=5),
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


# -- notebook 08: three models, one data set, one wall-clock budget -------------------------

def same_budget_settings() -> dict:
    """What the three models of notebook 08's comparison share: the data, the wall-clock
    budget (``max_seconds``; ``max_epochs`` is only a cap) and the seed."""
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": config.choose(quick=2000, full=None),
        "max_seconds": config.choose(quick=4, full=600),
        "max_epochs": 100,
        "seed": 0,
    }


def same_budget_overrides() -> dict:
    """The settings that put the GAN track's ``dcgan`` recipe on notebook 08's data and budget."""
    settings = same_budget_settings()
    return {key: settings[key] for key in ("dataset", "train_images", "max_seconds", "seed")}


def track_settings(recipe: str, keys: tuple[str, ...]) -> dict:
    """Model sizes and optimiser settings of a track's recipe (so the comparison follows it)."""
    from . import recipe_config

    track = recipe_config(recipe)
    return {key: track[key] for key in keys}


def conv_vae_same_budget_config() -> dict:
    return {**same_budget_settings(),
            **track_settings("conv_vae", ("width", "hidden", "latent_dim", "batch_size", "lr",
                                          "cosine_lr", "beta"))}


@register("conv_vae_same_budget", conv_vae_same_budget_config,
          "the convolutional VAE of recipe 'conv_vae' trained for notebook 08's budget")
def build_conv_vae_same_budget(cfg: dict):
    config.seed_everything(cfg["seed"])
    model = ConvVAE(28, 1, cfg["latent_dim"], cfg["width"], cfg["hidden"])

    def train():
        images = training_images(cfg)
        return train_vae(model, images, epochs=cfg["max_epochs"], batch_size=cfg["batch_size"],
                         lr=cfg["lr"], cosine_lr=cfg["cosine_lr"], beta=cfg["beta"],
                         seed=cfg["seed"], max_seconds=cfg["max_seconds"], device="cpu",
                         desc=f"conv VAE, {cfg['max_seconds']} s ({cfg['dataset']})")
    return {"vae": model}, train


def same_budget_contenders(iwae_samples: int = 50) -> list:
    """Notebook 08's three models (trained or loaded), as :class:`~genlib.metrics.compare.Contender`
    objects: how to decode, encode (if the model can) and score test likelihood (if defined).

    The VAE's test NLL is the importance-weighted estimate -L_K (K = ``iwae_samples``, an upper
    bound on the NLL, Burda et al. 2016) on a fixed binarisation of the test images.
    """
    from . import pretrained
    from ..metrics.compare import Contender
    from ..metrics.likelihood import fixed_binarization, iwae_estimate

    gan, gan_history = pretrained("dcgan", **same_budget_overrides())
    vae_models, vae_history = pretrained("conv_vae_same_budget")
    hybrid, hybrid_history = pretrained("vaegan")
    generator, vae = gan["generator"], vae_models["vae"]
    encoder, decoder = hybrid["encoder"], hybrid["decoder"]

    def vae_nll(images):
        return -iwae_estimate(vae, fixed_binarization(images), k=iwae_samples).mean().item()

    return [
        Contender("DCGAN", lambda z: (generator(z) + 1) / 2, generator.latent_dim,
                  train_seconds=gan_history.seconds),
        Contender("conv VAE", lambda z: torch.sigmoid(vae.decode(z)), vae.latent_dim,
                  encode=lambda x: vae.encode(x)[0], test_nll=vae_nll,
                  train_seconds=vae_history.seconds),
        Contender("VAE-GAN", lambda z: (decoder(z) + 1) / 2, decoder.latent_dim,
                  encode=lambda x: encoder(2 * x - 1)[0], train_seconds=hybrid_history.seconds),
    ]
