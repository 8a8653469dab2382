"""Train once, reuse everywhere: a plain function for every model the collection shows.

A recipe builds its models and trains them with :func:`genlib.training.train` and the update
step it is given, or loads them from ``data/checkpoints/`` (see :mod:`genlib.zoo.cache`)::

    models, history = zoo.dcgan(step=gan_step)     # gan_step: the notebook's own cell
    generator = models["generator"]

A recipe is ``zoo.NAME(step=..., *, settings=None, retrain=False, **config)``: ``settings`` is a
dict of the step's own arguments (``settings=dict(beta=4.0)``), every other keyword a key of
the recipe's configuration (``latent_dim=32``); each recipe writes out which of its networks
and optimisers is which argument of the step. Each returns ``(models, history)``, models on
the CPU in eval mode; ``history.config`` is the configuration they were made with, and
:func:`recipe_config` gives it without training. ``python -m genlib.zoo`` (``make pretrain``)
trains every entry of :func:`pretrain_plan`.
"""
from __future__ import annotations

import functools
from typing import Callable

from .. import config
from ..steps import flow_matching_step, free_bits_vae_step, v_ddpm_step
from .cache import UntrustedCheckpointError, cached, step_fingerprint, step_source
from .classifier import classifier, classifier_config
from .diffusion import (ddpm, ddpm_config, ddpm_decoder, image_sampler, make_schedule,
                        toy_ddpm, toy_ddpm_config)
from .flow import (flow_decoder, flow_image_sampler, flow_matching, flow_matching_config,
                   toy_flow, toy_flow_config)
from .gan import dcgan, dcgan_config, toy_config, toy_gan, toy_wgan
from .hybrid import (bigan, bigan_config, same_budget_contenders, same_budget_models,
                     same_budget_settings, same_budget_steps, toy_bigan, toy_bigan_config, vaegan,
                     vaegan_config)
from .settings import check_setting, configure, step_settings
from .vae import (BETA_SWEEP, MLP_VAE_PRESETS, conv_vae, conv_vae_config, cvae, cvae_config,
                  mlp_vae, mlp_vae_config, warmup_steps, warmup_vae)

CONFIGS: dict[str, Callable[[], dict]] = {
    "toy_gan": toy_config, "dcgan": dcgan_config, "classifier": classifier_config,
    **{preset: functools.partial(mlp_vae_config, preset) for preset in MLP_VAE_PRESETS},
    "conv_vae": conv_vae_config, "cvae": cvae_config, "vaegan": vaegan_config,
    "toy_ddpm": toy_ddpm_config, "ddpm": ddpm_config,
    "toy_flow": toy_flow_config, "flow_matching": flow_matching_config,
    "bigan": bigan_config, "toy_bigan": toy_bigan_config,
}


def recipe_config(name: str) -> dict:
    """The default configuration of recipe ``name`` in the current mode (nothing is trained)."""
    if name not in CONFIGS:
        raise KeyError(f"unknown recipe {name!r}; known recipes: {', '.join(sorted(CONFIGS))}")
    return CONFIGS[name]()


def pretrain_plan() -> list[tuple[Callable, dict]]:
    """``(recipe, keyword arguments)`` of every model a notebook loads, for ``make pretrain``."""
    beta_vae = {"preset": "beta_vae"}
    budget = {**same_budget_settings(), "snapshots": True}   # notebook 08's curves
    v_prediction = {"step": v_ddpm_step, "prediction": "v", "noise_schedule": "cosine", "T": 1000,
                    "ema": 0.999, "steps": config.choose(quick=30, full=2344)}   # notebook 11
    clipping = {"settings": {"gp_weight": 0.0, "clip": 0.01}, "optimizer": "rmsprop",
                "lr": 5e-5, "decay_lr": False}
    return ([(toy_gan, {}), (toy_gan, {"snapshots": True}),
             (toy_gan, {"snapshots": True, "settings": {"saturating": True}}),
             (toy_gan, {"snapshots": True, "data": "grid25"})]
            + [(toy_gan, {"snapshots": True, "seed": seed, "settings": {"saturating": saturating}})
               for seed in (1, 2) for saturating in (False, True)]   # notebook 02's three seeds
            + [(toy_wgan, {}), (toy_wgan, clipping),
               (classifier, {}), (dcgan, {}), (dcgan, budget), (conv_vae, {}), (conv_vae, budget),
               (mlp_vae, {}), (mlp_vae, {"preset": "vae_2d"}), (cvae, {}),
               (vaegan, {"snapshots": True}),
               (bigan, {}), (toy_bigan, {})]
            + [(mlp_vae, {**beta_vae, "settings": {"beta": beta}}) for beta in BETA_SWEEP]
            + [(mlp_vae, {**beta_vae, "latent_dim": 32}), (warmup_vae, {"latent_dim": 32}),
               (mlp_vae, {**beta_vae, "latent_dim": 32, "step": free_bits_vae_step,
                          "settings": {"free_bits": 0.5}})]
            + [(toy_ddpm, {}), (ddpm, {}), (ddpm, v_prediction), (toy_flow, {}),
               (flow_matching, {})]
            + [(ddpm, {**v_prediction, "steps": same_budget_steps(128), "snapshots": True}),  # 08
               (flow_matching, {"step": flow_matching_step, "steps": same_budget_steps(128),
                                "settings": {"label_dropout": 1.0}, "snapshots": True})])


def pretrain_all() -> None:
    """Train (or confirm cached) every model of :func:`pretrain_plan` in the current mode."""
    for recipe, kwargs in pretrain_plan():
        shown = ", ".join(f"{k}={getattr(v, '__name__', v)!r}" for k, v in kwargs.items())
        print(f"== {recipe.__name__}({shown}) ({config.mode()} mode)")
        recipe(**kwargs)


__all__ = ["cached", "UntrustedCheckpointError", "configure", "step_settings", "check_setting",
           "step_source", "step_fingerprint", "recipe_config",
           "pretrain_plan", "pretrain_all", "toy_gan", "toy_wgan", "dcgan", "classifier",
           "mlp_vae", "warmup_vae", "conv_vae", "cvae", "vaegan", "bigan", "toy_bigan",
           "same_budget_settings", "same_budget_steps", "same_budget_models",
           "same_budget_contenders", "BETA_SWEEP",
           "MLP_VAE_PRESETS", "warmup_steps", "toy_ddpm", "ddpm", "image_sampler",
           "ddpm_decoder", "toy_flow", "flow_matching", "flow_image_sampler", "flow_decoder",
           "make_schedule"]
