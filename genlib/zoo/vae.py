"""VAE recipes (notebooks 06-08): trained once, cached in ``data/checkpoints``.

    models, history = zoo.conv_vae(step=vae_step);       vae = models["vae"]
    models, history = zoo.beta_vae(step=vae_step, beta=4.0)
    models, history = zoo.beta_vae(step=free_bits_vae_step, latent_dim=32, free_bits=0.5)
    models, history = zoo.cvae(step=cvae_step)

Every recipe trains on the image data set (dynamically binarised by the step, Bernoulli
likelihood) with Adam and a cosine decay of the learning rate to 0, and logs the test-set
ELBO and both of its terms at the end (a fixed binarisation, one z per image) as
``test_elbo``, ``test_log_likelihood`` and ``test_kl``.
"""
from __future__ import annotations

import torch

from .. import config
from ..data import image_shape, load_images, resolve_dataset
from ..metrics.likelihood import fixed_binarization, vae_elbo
from ..models.conv_vae import ConvVAE
from ..models.cvae import ConditionalVAE
from ..models.vae import MLPVAE
from ..steps import cvae_step, vae_step
from ..training import adam, train
from .cache import cached, configure


def shared_settings(epochs_full: int, quick_images: int = 4000) -> dict:
    """What every VAE recipe's configuration holds besides the model's sizes."""
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": config.choose(quick=quick_images, full=None),  # None: the whole split
        "epochs": config.choose(quick=1, full=epochs_full),
        "batch_size": 128,
        "lr": config.choose(quick=3e-3, full=1e-3),  # quick: a few dozen steps must show something
        "seed": 0,
    }


@torch.no_grad()
def test_elbo_terms(vae, dataset: str, conditional: bool = False, limit: int = 2000) -> dict:
    """Mean ELBO, log-likelihood and KL (nats per image) on the first ``limit`` test images,
    fixed binarisation, one z per image (seed 0)."""
    images, labels = load_images(dataset, "test")
    terms = vae_elbo(vae, fixed_binarization(images[:limit]),
                     labels[:limit] if conditional else None, torch.Generator().manual_seed(0))
    return {f"test_{name}": value.mean().item() for name, value in terms._asdict().items()}


def _vae(name: str, cfg: dict, step, settings: dict, make_model, retrain: bool,
         conditional: bool = False):
    def build():
        torch.manual_seed(cfg["seed"])
        return {"vae": make_model()}

    def fit(models):
        vae = models["vae"]
        images, labels = load_images(cfg["dataset"], "train", limit=cfg["train_images"])
        steps = cfg["epochs"] * (len(images) // cfg["batch_size"])
        opt = adam(vae.parameters(), lr=cfg["lr"])
        history = train(step, {"vae": vae}, {"opt": opt},
                        (images, labels) if conditional else images, steps=steps,
                        batch_size=cfg["batch_size"], seed=cfg["seed"], settings=settings,
                        schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)],
                        log_every=config.choose(quick=5, full=20),
                        desc=f"{name} ({cfg['dataset']})")
        if history.finished:
            history.log(history.last_step(), **test_elbo_terms(vae.cpu(), cfg["dataset"],
                                                               conditional))
        return history

    return cached(name, cfg, step, settings, build, fit, retrain)


# Full-mode epochs are sized so that each notebook trains all its models in a few minutes on
# two CPU cores: notebook 06 = conv VAE 6 + MLP VAE 15 + 2-D VAE 10 epochs; notebook 07 =
# eight beta-VAEs and the CVAE, 8 epochs each.

def mlp_vae_config() -> dict:
    return {**shared_settings(epochs_full=15), "hidden": [512, 256], "latent_dim": 32}


def mlp_vae(step=vae_step, *, retrain: bool = False, **overrides):
    """MLP VAE, 32-d latent (notebook 06: sliders, importance-weighted bound)."""
    cfg, settings = configure(mlp_vae_config(), step, {}, overrides)
    return _vae("mlp_vae", cfg, step, settings, lambda: MLPVAE(
        image_shape(cfg["dataset"]), cfg["latent_dim"], tuple(cfg["hidden"])), retrain)


def conv_vae_config() -> dict:
    return {**shared_settings(epochs_full=6, quick_images=3000),
            "width": 32, "hidden": 256, "latent_dim": 16}


def conv_vae(step=vae_step, *, retrain: bool = False, **overrides):
    """Convolutional VAE, 16-d latent (notebooks 06, 10)."""
    cfg, settings = configure(conv_vae_config(), step, {}, overrides)
    shape = image_shape(cfg["dataset"])
    return _vae("conv_vae", cfg, step, settings, lambda: ConvVAE(
        shape[-1], shape[0], cfg["latent_dim"], cfg["width"], cfg["hidden"]), retrain)


def vae_2d_config() -> dict:
    return {**shared_settings(epochs_full=10), "hidden": [512, 256], "latent_dim": 2}


def vae_2d(step=vae_step, *, retrain: bool = False, **overrides):
    """MLP VAE with a 2-D latent: the latent map (notebook 06)."""
    cfg, settings = configure(vae_2d_config(), step, {}, overrides)
    return _vae("vae_2d", cfg, step, settings, lambda: MLPVAE(
        image_shape(cfg["dataset"]), cfg["latent_dim"], tuple(cfg["hidden"])), retrain)


def beta_vae_config() -> dict:
    return {**shared_settings(epochs_full=8, quick_images=6000), "hidden": [256, 256],
            "latent_dim": 16}


BETA_SWEEP = (0.5, 1.0, 2.0, 4.0, 8.0)  # notebook 07's rate-distortion curve


def beta_vae(step=vae_step, *, retrain: bool = False, **overrides):
    """MLP VAE, 16-d latent; ``beta``, ``latent_dim``, or another step such as
    ``warmup_vae_step`` / ``free_bits_vae_step`` with its settings (notebook 07)."""
    cfg, settings = configure(beta_vae_config(), step, {}, overrides)
    return _vae("beta_vae", cfg, step, settings, lambda: MLPVAE(
        image_shape(cfg["dataset"]), cfg["latent_dim"], tuple(cfg["hidden"])), retrain)


def warmup_steps() -> int:
    """Notebook 07's KL warm-up length: about a third of the run."""
    return config.choose(quick=40, full=1500)


def cvae_config() -> dict:
    return {**shared_settings(epochs_full=8, quick_images=6000), "hidden": [256, 256],
            "latent_dim": 8}


def cvae(step=cvae_step, *, retrain: bool = False, **overrides):
    """Conditional MLP VAE, 8-d style latent (notebook 07)."""
    cfg, settings = configure(cvae_config(), step, {}, overrides)
    return _vae("cvae", cfg, step, settings, lambda: ConditionalVAE(
        image_shape(cfg["dataset"]), 10, cfg["latent_dim"], tuple(cfg["hidden"])), retrain,
        conditional=True)
