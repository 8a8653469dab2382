"""VAE recipes (notebooks 06-08): trained once, cached in ``data/checkpoints``.

    models, history = zoo.conv_vae(step=vae_step);       vae = models["vae"]
    models, history = zoo.mlp_vae(step=vae_step, preset="beta_vae", settings=dict(beta=4.0))
    models, history = zoo.mlp_vae(step=free_bits_vae_step, preset="beta_vae", latent_dim=32,
                                  settings=dict(free_bits=0.5))
    models, history = zoo.warmup_vae(step=warmup_vae_step, latent_dim=32)
    models, history = zoo.cvae(step=cvae_step)

``settings`` holds the step's own arguments; every other keyword is a key of the recipe's
configuration. The MLP VAEs are one recipe, :func:`mlp_vae`, whose ``preset`` picks the
defaults of a notebook's model (:data:`MLP_VAE_PRESETS`).

Every recipe trains on the image data set (dynamically binarised by the step, Bernoulli
likelihood) with Adam and a cosine decay of the learning rate to 0, and logs the test-set
ELBO and both of its terms at the end (a fixed binarisation, one z per image) as
``test_elbo``, ``test_log_likelihood`` and ``test_kl``.
"""
from __future__ import annotations

import functools

import torch

from ..config import choose
from ..data import image_shape, load_images, resolve_dataset
from ..metrics.likelihood import fixed_binarization, vae_elbo
from ..models.conv_vae import ConvVAE
from ..models.cvae import ConditionalVAE
from ..models.vae import MLPVAE
from ..steps import cvae_step, vae_step, warmup_vae_step
from ..training import TrainingSnapshots, adam, planned_snapshots, train
from .cache import cached
from .images import training_images
from .settings import configure, step_settings


def shared_settings(epochs_full: int, quick_images: int = 4000) -> dict:
    """What every VAE recipe's configuration holds besides the model's sizes."""
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "train_images": choose(quick=quick_images, full=None),  # None: the whole split
        "epochs": choose(quick=1, full=epochs_full),
        "batch_size": 128,
        "lr": choose(quick=3e-3, full=1e-3),  # quick: a few dozen steps must show something
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


def _vae(name: str, cfg: dict, step, settings: dict, make_model, update, retrain: bool,
         conditional: bool = False):
    """Build (``make_model()``) and train (or load) a VAE recipe: each iteration calls
    ``update(vae, opt, batch, rng, t)``; with ``cfg["snapshots"]``, copies of the VAE after
    those steps."""
    snapshots = cfg.get("snapshots", [])

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        models = {"vae": make_model()}
        if snapshots:
            models["snapshots"] = TrainingSnapshots(snapshots, lambda: (make_model(),))
        return models

    def fit(models):
        vae = models["vae"]
        data, steps = training_images(cfg, labels=conditional)
        opt = adam(vae.parameters(), lr=cfg["lr"])
        history = train(functools.partial(update, vae, opt), data, models=[vae],
                        optimizers=[opt], steps=steps, batch_size=cfg["batch_size"],
                        seed=cfg["seed"],
                        callback=models["snapshots"].taker(vae) if snapshots else None,
                        callback_every=1,
                        schedulers=[torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)],
                        log_every=choose(quick=5, full=20),
                        desc=f"{name} ({cfg['dataset']})")
        if history.finished:
            history.log(history.last_step(), **test_elbo_terms(vae.cpu(), cfg["dataset"],
                                                               conditional))
        return history

    return cached(name, cfg, step, settings, build, fit, retrain)


# Full-mode epochs are sized so that each notebook trains all its models in a few minutes on
# two CPU cores: notebook 06 = conv VAE 6 + MLP VAE 15 + 2-D VAE 10 epochs; notebook 07 =
# eight beta-VAEs and the CVAE, 8 epochs each.

MLP_VAE_PRESETS = {
    "mlp_vae": lambda: {**shared_settings(epochs_full=15), "hidden": [512, 256],
                        "latent_dim": 32},   # notebook 06: sliders, importance-weighted bound
    "vae_2d": lambda: {**shared_settings(epochs_full=10), "hidden": [512, 256],
                       "latent_dim": 2},     # notebook 06: the latent map
    "beta_vae": lambda: {**shared_settings(epochs_full=8, quick_images=6000),
                         "hidden": [256, 256], "latent_dim": 16},   # notebook 07
}

BETA_SWEEP = (0.5, 1.0, 2.0, 4.0, 8.0)  # notebook 07's rate-distortion curve


def mlp_vae_config(preset: str = "mlp_vae") -> dict:
    """The defaults of the MLP VAE ``preset`` (a key of :data:`MLP_VAE_PRESETS`)."""
    if preset not in MLP_VAE_PRESETS:
        raise ValueError(f"preset must be one of {sorted(MLP_VAE_PRESETS)}, got {preset!r}")
    return {"preset": preset, **MLP_VAE_PRESETS[preset]()}


def _mlp_vae_defaults(recipe: str, config: dict) -> dict:
    preset = config.get("preset", "mlp_vae")
    if not isinstance(preset, str):
        raise TypeError(f"preset must be a name, one of {sorted(MLP_VAE_PRESETS)}, got "
                        f"{preset!r}")
    return configure(recipe, mlp_vae_config(preset), config)


def _make_mlp_vae(cfg: dict):
    return lambda: MLPVAE(image_shape(cfg["dataset"]), cfg["latent_dim"], tuple(cfg["hidden"]))


def mlp_vae(step=vae_step, *, settings: dict | None = None, retrain: bool = False, **config):
    """An MLP VAE (notebooks 06, 07): ``preset`` gives the defaults of a notebook's model,
    ``"mlp_vae"`` (32-d latent, the default), ``"vae_2d"`` (2-d latent) or ``"beta_vae"``
    (16-d latent, notebook 07's sweep). ``settings``: ``beta`` for ``vae_step``,
    ``free_bits`` for ``free_bits_vae_step`` (each step's default when not given)."""
    cfg = _mlp_vae_defaults("mlp_vae", config)
    settings = step_settings("mlp_vae", settings, {}, optional={"beta": 1.0, "free_bits": 0.5})
    update = lambda vae, opt, x, rng, t: step(vae, opt, x, rng, **settings)
    return _vae("mlp_vae", cfg, step, settings, _make_mlp_vae(cfg), update, retrain)


def warmup_steps() -> int:
    """Notebook 07's KL warm-up length: about a third of the run."""
    return choose(quick=40, full=1500)


def warmup_vae(step=warmup_vae_step, *, settings: dict | None = None, retrain: bool = False,
               **config):
    """An MLP VAE (``preset`` as for :func:`mlp_vae`, default ``"beta_vae"``) trained with a KL
    warm-up: the step is also given the iteration ``t``. ``settings``: ``warmup_steps``
    (default :func:`warmup_steps`, about a third of the run)."""
    cfg = _mlp_vae_defaults("warmup_vae", {"preset": "beta_vae", **config})
    settings = step_settings("warmup_vae", settings, {"warmup_steps": warmup_steps()})
    update = lambda vae, opt, x, rng, t: step(vae, opt, x, rng, t, **settings)
    return _vae("warmup_vae", cfg, step, settings, _make_mlp_vae(cfg), update, retrain)


def conv_vae_config() -> dict:
    return {**shared_settings(epochs_full=6, quick_images=3000),
            "width": 32, "hidden": 256, "latent_dim": 16}


def conv_vae(step=vae_step, *, settings: dict | None = None, retrain: bool = False,
             snapshots: bool = False, **config):
    """Convolutional VAE, 16-d latent (notebooks 06, 10). ``settings``: ``beta`` (default 1).
    ``snapshots``: also keep copies of the VAE along the run (``models["snapshots"]``, 08)."""
    cfg = configure("conv_vae", conv_vae_config(), config)
    if snapshots:
        cfg["snapshots"] = planned_snapshots(snapshots, training_images(cfg)[1])
    settings = step_settings("conv_vae", settings, {}, optional={"beta": 1.0})
    shape = image_shape(cfg["dataset"])
    update = lambda vae, opt, x, rng, t: step(vae, opt, x, rng, **settings)
    return _vae("conv_vae", cfg, step, settings, lambda: ConvVAE(
        shape[-1], shape[0], cfg["latent_dim"], cfg["width"], cfg["hidden"]), update, retrain)


def cvae_config() -> dict:
    return {**shared_settings(epochs_full=8, quick_images=6000), "hidden": [256, 256],
            "latent_dim": 8}


def cvae(step=cvae_step, *, settings: dict | None = None, retrain: bool = False, **config):
    """Conditional MLP VAE, 8-d style latent (notebook 07); the step gets ``(x, y)``."""
    cfg = configure("cvae", cvae_config(), config)
    settings = step_settings("cvae", settings, {})
    update = lambda vae, opt, xy, rng, t: step(vae, opt, *xy, rng, **settings)
    return _vae("cvae", cfg, step, settings, lambda: ConditionalVAE(
        image_shape(cfg["dataset"]), 10, cfg["latent_dim"], tuple(cfg["hidden"])), update,
        retrain, conditional=True)
