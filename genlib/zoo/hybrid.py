"""Hybrid recipes (notebooks 08 and 09), and notebook 08's comparison on one budget.

    models, history = zoo.vaegan(step=vaegan_step)   # encoder, decoder (DCGAN generator), discriminator
    models, history = zoo.bigan(step=bigan_step)     # encoder, generator, discriminator
    models, history = zoo.toy_bigan(step=bigan_step) # the same game on the ring of 8 Gaussians

Notebook 08 compares three models trained on the same data for the same budget, counted in
training images seen (``epochs`` passes over the same ``train_images``), so that every machine
trains the same three models: the DCGAN recipe, the convolutional VAE recipe and the VAE-GAN,
whose decoder and discriminator have the DCGAN's sizes. The recipes counted in update steps
(notebook 11's DDPM, notebook 12's flow) join it with ``steps=same_budget_steps(batch_size)``.
"""
from __future__ import annotations

import torch

from ..config import choose
from ..data import image_shape, resolve_dataset, toy2d
from ..models.bigan import BiGANDiscriminator, BiGANEncoder, BiGANGenerator
from ..models.dcgan import DCGANDiscriminator, DCGANGenerator
from ..models.vaegan import VAEGANEncoder
from ..steps import bigan_step, vaegan_step
from ..training import TrainingSnapshots, adam, planned_snapshots, train
from .cache import cached
from .images import training_images
from .settings import configure, step_settings
from .gan import dcgan, dcgan_config
from .vae import conv_vae


def same_budget_settings() -> dict:
    """What the three models of notebook 08's comparison share: the data, the budget in
    passes over the training images, and the seed."""
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": choose(quick=2000, full=None),
        "epochs": choose(quick=1, full=2),
        "seed": 0,
    }


def same_budget_steps(batch_size: int) -> int:
    """The number of updates on batches of ``batch_size`` images that make notebook 08's budget:
    ``epochs`` passes over its ``train_images``, counted as the DCGAN recipe counts them."""
    return training_images({**same_budget_settings(), "batch_size": batch_size})[1]


def vaegan_config() -> dict:
    gan = dcgan_config()
    return {
        **same_budget_settings(),
        "latent_dim": gan["latent_dim"], "encoder_width": 32,
        "decoder_width": gan["width"], "discriminator_width": gan["width"],
        "batch_size": gan["batch_size"], "lr": 2e-4, "betas": (0.5, 0.999),
    }


def vaegan(step=vaegan_step, *, settings: dict | None = None, retrain: bool = False,
           snapshots: bool = False, **config):
    """VAE-GAN of Larsen et al. 2016 on 28 x 28 images, notebook 08's budget. ``settings``:
    the step's ``gamma``, ``kl_weight`` and ``pixel_weight`` (the step's defaults).
    ``snapshots``: also keep copies of the decoder along the run (``models["snapshots"]``)."""
    cfg = configure("vaegan", vaegan_config(), config)
    if snapshots:
        cfg["snapshots"] = planned_snapshots(snapshots, training_images(cfg)[1])
    make_decoder = lambda: DCGANGenerator(cfg["latent_dim"], cfg["decoder_width"])
    settings = step_settings("vaegan", settings, {},
                             optional={"gamma": 1.0, "kl_weight": 1e-3, "pixel_weight": 1.0})
    if cfg["dataset"] == "digits":
        raise ValueError("the VAE-GAN's DCGAN decoder makes 28x28 images; use mnist or "
                         "fashion-mnist, not digits")

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        models = {"encoder": VAEGANEncoder(cfg["latent_dim"], cfg["encoder_width"]),
                  "decoder": make_decoder(),
                  "discriminator": DCGANDiscriminator(cfg["discriminator_width"])}
        if snapshots:
            models["snapshots"] = TrainingSnapshots(cfg["snapshots"], lambda: (make_decoder(),))
        return models

    def fit(models):
        images, steps = training_images(cfg)
        enc, dec, dis = models["encoder"], models["decoder"], models["discriminator"]
        opt_enc, opt_dec, opt_dis = (adam(m.parameters(), cfg["lr"], cfg["betas"])
                                     for m in (enc, dec, dis))
        update = lambda x, rng, t: step(enc, dec, dis, opt_enc, opt_dec, opt_dis, x, rng,
                                        **settings)
        return train(update, images, models=[enc, dec, dis],
                     optimizers=[opt_enc, opt_dec, opt_dis], steps=steps,
                     batch_size=cfg["batch_size"], seed=cfg["seed"],
                     callback=models["snapshots"].taker(dec) if snapshots else None,
                     callback_every=1, desc=f"VAE-GAN ({cfg['dataset']})")

    return cached("vaegan", cfg, step, settings, build, fit, retrain)


def bigan_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": choose(quick=1024, full=None),
        "latent_dim": 32, "hidden": 512,
        "epochs": choose(quick=2, full=5),
        "batch_size": 128, "lr": 2e-4, "betas": (0.5, 0.999), "seed": 0,
    }


def bigan(step=bigan_step, *, settings: dict | None = None, retrain: bool = False, **config):
    """BiGAN / ALI with MLPs, 32-d latent (notebook 09)."""
    cfg = configure("bigan", bigan_config(), config)
    settings = step_settings("bigan", settings, {})
    shape = image_shape(cfg["dataset"])

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        return {"encoder": BiGANEncoder(shape, cfg["latent_dim"], cfg["hidden"]),
                "generator": BiGANGenerator(shape, cfg["latent_dim"], cfg["hidden"]),
                "discriminator": BiGANDiscriminator(shape, cfg["latent_dim"], cfg["hidden"])}

    def fit(models):
        images, steps = training_images(cfg)
        E, G, D = models["encoder"], models["generator"], models["discriminator"]
        opt_D = adam(D.parameters(), cfg["lr"], cfg["betas"])
        opt_EG = adam([*E.parameters(), *G.parameters()], cfg["lr"], cfg["betas"])
        update = lambda x, rng, t: step(E, G, D, opt_D, opt_EG, x, rng, **settings)
        return train(update, images, models=[E, G, D], optimizers=[opt_D, opt_EG], steps=steps,
                     batch_size=cfg["batch_size"], seed=cfg["seed"],
                     desc=f"BiGAN ({cfg['dataset']})")

    return cached("bigan", cfg, step, settings, build, fit, retrain)


def toy_bigan_config() -> dict:
    return {
        "data": "ring8", "latent_dim": 2, "hidden": 128, "dropout": 0.2,
        "steps": choose(quick=50, full=3000),
        "batch_size": 512, "lr": 1e-3, "betas": (0.5, 0.999),
        "decay_lr": True,  # both learning rates fall linearly to 0, as the toy GANs' do
        "seed": 0,
    }


def toy_bigan(step=bigan_step, *, settings: dict | None = None, retrain: bool = False,
              **config):
    """BiGAN / ALI on a 2-D toy (ring of 8 Gaussians), 2-d code, MLPs (notebook 09)."""
    cfg = configure("toy_bigan", toy_bigan_config(), config)
    settings = step_settings("toy_bigan", settings, {})

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        return {"encoder": BiGANEncoder((2,), cfg["latent_dim"], cfg["hidden"]),
                "generator": BiGANGenerator((2,), cfg["latent_dim"], cfg["hidden"], squash=False),
                "discriminator": BiGANDiscriminator((2,), cfg["latent_dim"], cfg["hidden"],
                                                    cfg["dropout"])}

    def fit(models):
        E, G, D = models["encoder"], models["generator"], models["discriminator"]
        opt_D = adam(D.parameters(), cfg["lr"], cfg["betas"])
        opt_EG = adam([*E.parameters(), *G.parameters()], cfg["lr"], cfg["betas"])
        decay = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1 - i / cfg["steps"])
                 for o in (opt_D, opt_EG)] if cfg["decay_lr"] else []
        update = lambda x, rng, t: step(E, G, D, opt_D, opt_EG, x, rng, **settings)
        return train(update, toy2d.get(cfg["data"]), models=[E, G, D],
                     optimizers=[opt_D, opt_EG], steps=cfg["steps"],
                     batch_size=cfg["batch_size"], seed=cfg["seed"], schedulers=decay,
                     desc=f"BiGAN on {cfg['data']}")

    return cached("toy_bigan", cfg, step, settings, build, fit, retrain)


# -- notebook 08: three models, one data set, one budget -----------------------------------

def same_budget_models() -> dict[str, tuple[dict, object]]:
    """Notebook 08's three models ``{name: (models, history)}``, trained or loaded, each with
    copies of its sampling network along its run (``models["snapshots"]``)."""
    budget = same_budget_settings()
    return {"DCGAN": dcgan(snapshots=True, **budget), "conv VAE": conv_vae(snapshots=True, **budget),
            "VAE-GAN": vaegan(snapshots=True)}


def same_budget_contenders(iwae_samples: int = 50) -> list:
    """Notebook 08's three models as :class:`~genlib.metrics.compare.Contender` objects: how
    to generate, encode (if the model can) and score test likelihood (if defined).

    The VAE's test NLL is the importance-weighted estimate -L_K (K = ``iwae_samples``, an upper
    bound on the NLL, Burda et al. 2016) on a fixed binarisation of the test images.
    """
    from ..metrics.compare import Contender
    from ..metrics.likelihood import fixed_binarization, iwae_estimate

    trained = same_budget_models()
    (gan, gan_history), (vae_models, vae_history), (hybrid, hybrid_history) = trained.values()
    generator, vae = gan["generator"], vae_models["vae"]
    encoder, decoder = hybrid["encoder"], hybrid["decoder"]

    def vae_nll(images):
        return -iwae_estimate(vae, fixed_binarization(images), k=iwae_samples).mean().item()

    return [
        Contender("DCGAN", generator.generate, generator.latent_dim,
                  train_seconds=gan_history.seconds),
        Contender("conv VAE", vae.generate, vae.latent_dim, encode=lambda x: vae.encode(x)[0],
                  test_nll=vae_nll, train_seconds=vae_history.seconds),
        Contender("VAE-GAN", decoder.generate, decoder.latent_dim,
                  encode=lambda x: encoder(x)[0], train_seconds=hybrid_history.seconds),
    ]
