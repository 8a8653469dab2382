"""VAE recipes (notebooks 05-07): trained once, cached in ``data/checkpoints``.

    models, history = zoo.pretrained("conv_vae");     vae = models["vae"]
    models, history = zoo.pretrained("beta_vae", beta=4.0)
    models, history = zoo.pretrained("beta_vae", free_bits=0.5)   # a collapse remedy

Every recipe trains on the "auto" image data set (dynamically binarised, Bernoulli
likelihood) and logs the test-set ELBO and both of its terms at the end (fixed binarisation,
one sample per image), as ``test_elbo``, ``test_log_likelihood`` and ``test_kl``.
"""
from __future__ import annotations

import torch

from .. import config
from ..data import load_images, resolve_dataset
from ..metrics.likelihood import fixed_binarization
from ..models.conv_vae import ConvVAE
from ..models.cvae import ConditionalVAE
from ..models.vae import MLPVAE
from ..training.vae import model_elbo, train_vae
from . import register


def shared_settings(epochs_full: int, quick_images: int = 4000) -> dict:
    """What every VAE recipe's configuration holds besides the model's sizes."""
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": config.choose(quick=quick_images, full=None),  # None: the whole split
        "epochs": config.choose(quick=1, full=epochs_full),
        "batch_size": 128,
        "lr": config.choose(quick=3e-3, full=1e-3),  # quick: a few dozen steps must show something
        "cosine_lr": True,  # decay the learning rate to 0 over the run
        "beta": 1.0,
        "warmup_steps": 0,
        "free_bits": 0.0,
        "seed": 0,
    }


def image_shape_of(dataset: str) -> tuple[int, int, int]:
    return (1, 8, 8) if dataset == "digits" else (1, 28, 28)


@torch.no_grad()
def test_elbo_terms(model, dataset: str, conditional: bool = False, limit: int = 2000) -> dict:
    """Mean ELBO, log-likelihood and KL (nats per image) on the first ``limit`` test images,
    fixed binarisation, one z per image."""
    images, labels = load_images(dataset, "test")
    x = fixed_binarization(images[:limit])
    torch.manual_seed(0)
    terms = model_elbo(model.cpu().eval(), x, labels[:limit] if conditional else None)
    return {f"test_{name}": value.mean().item() for name, value in terms._asdict().items()}


def make_training(model, cfg: dict, desc: str, conditional: bool = False):
    """The ``train()`` of a recipe: train_vae with the recipe's settings, then the test ELBO."""
    def train():
        images, labels = load_images(cfg["dataset"], "train")
        if cfg["train_images"]:
            images, labels = images[:cfg["train_images"]], labels[:cfg["train_images"]]
        history = train_vae(model, images, labels if conditional else None,
                            epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                            cosine_lr=cfg["cosine_lr"], beta=cfg["beta"], warmup_steps=cfg["warmup_steps"],
                            free_bits=cfg["free_bits"], seed=cfg["seed"],
                            log_every=config.choose(quick=5, full=20),
                            desc=f"{desc} ({cfg['dataset']})")
        last_step = history.steps["elbo"][-1] if "elbo" in history else 0
        history.log(last_step, **test_elbo_terms(model, cfg["dataset"], conditional))
        return history
    return train


# Full-mode epochs are sized so that each notebook trains all its models within its 10-minute
# cold-cache budget on two CPU cores (bench/notebooks_cold_*.md): notebook 06 = conv VAE 6 +
# MLP VAE 15 + 2-D VAE 10 epochs; notebook 07 = eight beta-VAEs and the CVAE, 8 epochs each.

def mlp_vae_config() -> dict:
    return {**shared_settings(epochs_full=15), "hidden": [512, 256], "latent_dim": 32}


@register("mlp_vae", mlp_vae_config, "MLP VAE, 32-d latent (notebook 06: sliders, IWAE)")
def build_mlp_vae(cfg: dict):
    config.seed_everything(cfg["seed"])
    model = MLPVAE(image_shape_of(cfg["dataset"]), cfg["latent_dim"], tuple(cfg["hidden"]))
    return {"vae": model}, make_training(model, cfg, "MLP VAE")


def conv_vae_config() -> dict:
    return {**shared_settings(epochs_full=6, quick_images=3000),
            "width": 32, "hidden": 256, "latent_dim": 16}


@register("conv_vae", conv_vae_config, "convolutional VAE, 16-d latent (notebook 06)")
def build_conv_vae(cfg: dict):
    config.seed_everything(cfg["seed"])
    shape = image_shape_of(cfg["dataset"])
    model = ConvVAE(shape[-1], shape[0], cfg["latent_dim"], cfg["width"], cfg["hidden"])
    return {"vae": model}, make_training(model, cfg, "conv VAE")


def vae_2d_config() -> dict:
    return {**shared_settings(epochs_full=10), "hidden": [512, 256], "latent_dim": 2}


@register("vae_2d", vae_2d_config, "MLP VAE with a 2-D latent: the latent map (notebook 06)")
def build_vae_2d(cfg: dict):
    return build_mlp_vae(cfg)


def beta_vae_config() -> dict:
    return {**shared_settings(epochs_full=8, quick_images=6000), "hidden": [256, 256],
            "latent_dim": 16}


BETA_SWEEP = (0.5, 1.0, 2.0, 4.0, 8.0)  # notebook 07's rate-distortion curve


def collapse_remedies() -> dict[str, dict]:
    """Notebook 07's posterior-collapse comparison: ``beta_vae`` overrides by name (a 32-d
    latent, plain, with KL warm-up, with free bits)."""
    return {"plain": {"latent_dim": 32},
            "warm-up": {"latent_dim": 32, "warmup_steps": config.choose(quick=40, full=1500)},
            "free bits": {"latent_dim": 32, "free_bits": 0.5}}


@register("beta_vae", beta_vae_config,
          "MLP VAE, 16-d latent; override beta, latent_dim, warmup_steps or free_bits (notebook 07)",
          variants=lambda: [{"beta": beta} for beta in BETA_SWEEP]
          + list(collapse_remedies().values()))
def build_beta_vae(cfg: dict):
    return build_mlp_vae(cfg)


def cvae_config() -> dict:
    return {**shared_settings(epochs_full=8, quick_images=6000), "hidden": [256, 256],
            "latent_dim": 8}


@register("cvae", cvae_config, "conditional MLP VAE, 8-d style latent (notebook 07)")
def build_cvae(cfg: dict):
    config.seed_everything(cfg["seed"])
    model = ConditionalVAE(image_shape_of(cfg["dataset"]), 10, cfg["latent_dim"],
                           tuple(cfg["hidden"]))
    return {"vae": model}, make_training(model, cfg, "conditional VAE", conditional=True)
