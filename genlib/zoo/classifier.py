"""Recipe ``classifier``: the small conv net behind :mod:`genlib.metrics`, one per data set.

    models, history = zoo.classifier()                   # the default data set
    models, history = zoo.classifier(dataset="digits")   # 8x8 digits (a configuration key)
    classifier = models["classifier"]; history.last("test_accuracy")
"""
from __future__ import annotations

import torch

from ..config import choose
from ..data import image_shape, load_images, resolve_dataset
from ..metrics.features import classifier_probabilities
from ..models.classifier import SmallClassifier
from ..steps import classifier_step
from ..training import adam, train
from .cache import cached
from .images import training_images
from .settings import configure, step_settings


def classifier_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "channels": 32,
        "feature_dim": 128,
        "epochs": choose(quick=2, full=5),
        "train_images": choose(quick=4000, full=None),  # None: the whole train split
        "batch_size": 128,
        "lr": 1e-3,
        "seed": 0,
    }


def classifier(step=classifier_step, *, settings: dict | None = None, retrain: bool = False,
               **config):
    """The metrics' classifier for ``dataset``, with its test accuracy in the history."""
    cfg = configure("classifier", classifier_config(), config)
    settings = step_settings("classifier", settings, {})
    size = image_shape(cfg["dataset"])[-1]

    def build():
        torch.manual_seed(cfg["seed"])   # cached() gives the global RNG back as it found it
        return {"classifier": SmallClassifier(size, n_classes=10, channels=cfg["channels"],
                                              feature_dim=cfg["feature_dim"])}

    def fit(models):
        net = models["classifier"]
        (images, labels), steps = training_images(cfg, labels=True)
        opt = adam(net.parameters(), cfg["lr"])
        update = lambda xy, rng, t: step(net, opt, *xy, rng, **settings)
        history = train(update, (images, labels), models=[net], optimizers=[opt], steps=steps,
                        batch_size=min(cfg["batch_size"], len(images)), seed=cfg["seed"],
                        log_every=10, desc=f"classifier ({cfg['dataset']})")
        test_images, test_labels = load_images(cfg["dataset"], "test")
        accuracy = (classifier_probabilities(net.cpu(), test_images).argmax(1)
                    == test_labels).float().mean()
        history.log(history.last_step(), test_accuracy=accuracy)
        print(f"classifier ({cfg['dataset']}): test accuracy {float(accuracy):.1%}")
        return history

    return cached("classifier", cfg, step, settings, build, fit, retrain)
