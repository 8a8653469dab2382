"""A recipe's keyword arguments, checked before anything is built or trained.

A recipe call reads ``zoo.NAME(step=..., *, settings=None, retrain=False, **config)``: every
keyword is a key of the recipe's configuration (:func:`configure`), and ``settings`` is a dict
of the step's own arguments (:func:`step_settings`). A name the recipe does not know, or a
value of the wrong kind or out of its domain, is an error that names it.
"""
from __future__ import annotations

import math

from ..checks import require_seed

# What a value must be, by name (given values only: the recipes' defaults are right)
POSITIVE = {"latent_dim", "hidden", "depth", "width", "channels", "feature_dim",
            "encoder_width", "decoder_width", "discriminator_width", "epochs", "steps",
            "batch_size", "n_critic", "warmup_steps", "lr", "lr_g", "lr_d", "T", "time_dim",
            "classes"}
NON_NEGATIVE = {"beta", "gp_weight", "clip", "free_bits", "seed", "gamma", "kl_weight",
                "pixel_weight", "dropout"}
DECAYS = {"ema"}                    # in [0, 1): 1 would never move the average
SHARES = {"label_dropout"}          # in [0, 1]: a share of each batch (1: all of it)
CHOICES = {"optimizer": ("adam", "rmsprop"), "noise_schedule": ("linear", "cosine"),
           "prediction": ("eps", "v")}


def configure(recipe: str, defaults: dict, given: dict) -> dict:
    """The recipe's configuration: ``defaults`` with the ``given`` keywords, each checked
    (:func:`check_setting`). ``TypeError`` names a keyword that is not a key of ``defaults``."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TypeError(f"{recipe} has no configuration key {unknown[0]!r}: its keys are "
                        f"{sorted(defaults)}; the step's arguments go in settings=dict(...)")
    return {**defaults, **{k: check_setting(k, v, defaults[k]) for k, v in given.items()}}


def step_settings(recipe: str, given: dict | None, defaults: dict, optional: dict = {}) -> dict:
    """The step's keyword arguments: the recipe's ``defaults``, then the ``given`` ones, each a
    key of ``defaults`` or ``optional`` (the settings a step of this recipe may take, with the
    step's default for their kind) and checked (:func:`check_setting`)."""
    if given is None:
        return dict(defaults)
    if not isinstance(given, dict):
        raise TypeError(f"settings must be a dict of the step's arguments, e.g. "
                        f"settings=dict(beta=4.0), got {type(given).__name__}")
    known = {**optional, **defaults}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise TypeError(f"{recipe}'s step takes no setting {unknown[0]!r}: its settings are "
                        f"{sorted(known)}; the recipe's configuration goes in keywords")
    return {**defaults, **{k: check_setting(k, v, known[k]) for k, v in given.items()}}


def check_setting(key: str, value, default):
    """``value`` for setting ``key`` checked against its ``default``'s kind and the setting's
    domain; an int where the default is a float becomes a float (``beta=4`` is ``beta=4.0``).

    ``TypeError``: a bool, number, string or sequence where the default is another kind, a
    fraction where the default is a whole number (``latent_dim=2.5``). ``ValueError``: a size,
    count, budget or learning rate <= 0, a weight or seed < 0, NaN or infinity, ``betas`` or
    ``ema`` outside [0, 1), ``label_dropout`` outside [0, 1], ``train_images`` neither None nor a positive whole number, a name that is
    not one of its choices."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"{key} must be True or False like its default, got {value!r}")
        return value
    if key == "train_images":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ValueError(f"train_images must be None (the whole split) or a positive whole "
                             f"number of images, got {value!r}")
        return value
    if isinstance(default, (list, tuple)) and key == "hidden":
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value or any(
                isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in value):
            raise ValueError(f"hidden must be a non-empty list of positive layer widths like its "
                             f"default {list(default)!r}, got {value!r}")
        return list(value)
    if key == "betas":
        if (not isinstance(value, (list, tuple)) or len(value) != 2
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool)
                           and 0 <= b < 1 for b in value)):
            raise ValueError(f"betas must be Adam's pair (beta1, beta2), each in [0, 1), like "
                             f"its default {tuple(default)!r}, got {value!r}")
        return tuple(float(b) for b in value)
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be a number like its default {default!r}, got {value!r}")
        if isinstance(default, float) and isinstance(value, int):
            value = float(value)
        if isinstance(default, int) and not isinstance(value, int):
            raise TypeError(f"{key} must be a whole number like its default {default!r}, got "
                            f"{value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number, got {value!r}")
        if key in POSITIVE and value <= 0:
            raise ValueError(f"{key} must be positive (like its default {default!r}), got "
                             f"{value!r}")
        if key in NON_NEGATIVE and value < 0:
            raise ValueError(f"{key} must be >= 0 (like its default {default!r}), got {value!r}")
        if key in DECAYS and not 0 <= value < 1:
            raise ValueError(f"{key} must be in [0, 1) (like its default {default!r}), got "
                             f"{value!r}")
        if key in SHARES and not 0 <= value <= 1:
            raise ValueError(f"{key} must be in [0, 1] (like its default {default!r}), got "
                             f"{value!r}")
        if key == "seed":
            require_seed(key, value)
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a name (a string) like its default {default!r}, "
                            f"got {value!r}")
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"{key} must be one of {list(CHOICES[key])}, got {value!r}")
    return value
