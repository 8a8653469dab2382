"""Recipe ``classifier``: the small conv net behind :mod:`genlib.metrics`, one per data set.

    models, history = zoo.classifier()                   # the default data set
    models, history = zoo.classifier(dataset="digits")   # 8x8 digits
    classifier = models["classifier"]; history.last("test_accuracy")
"""
from __future__ import annotations

import torch

from .. import config
from ..data import image_shape, load_images, resolve_dataset
from ..metrics.features import classifier_probabilities
from ..models.classifier import SmallClassifier
from ..steps import classifier_step
from ..training import adam, train
from .cache import cached, configure


def classifier_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "channels": 32,
        "feature_dim": 128,
        "epochs": config.choose(quick=2, full=5),
        "train_images": config.choose(quick=4000, full=None),  # None: the whole train split
        "batch_size": 128,
        "lr": 1e-3,
        "seed": 0,
    }


def classifier(step=classifier_step, *, retrain: bool = False, **overrides):
    """The metrics' classifier for ``dataset``, with its test accuracy in the history."""
    cfg, settings = configure(classifier_config(), step, {}, overrides)
    size = image_shape(cfg["dataset"])[-1]

    def build():
        torch.manual_seed(cfg["seed"])
        return {"classifier": SmallClassifier(size, n_classes=10, channels=cfg["channels"],
                                              feature_dim=cfg["feature_dim"])}

    def fit(models):
        net = models["classifier"]
        images, labels = load_images(cfg["dataset"], "train", limit=cfg["train_images"])
        steps = cfg["epochs"] * max(1, len(images) // cfg["batch_size"])
        history = train(step, {"classifier": net}, {"opt": adam(net.parameters(), cfg["lr"])},
                        (images, labels), steps=steps, batch_size=min(cfg["batch_size"], len(images)),
                        seed=cfg["seed"], settings=settings, log_every=10,
                        desc=f"classifier ({cfg['dataset']})")
        test_images, test_labels = load_images(cfg["dataset"], "test")
        accuracy = (classifier_probabilities(net.cpu(), test_images).argmax(1)
                    == test_labels).float().mean()
        history.log(history.last_step(), test_accuracy=accuracy)
        print(f"classifier ({cfg['dataset']}): test accuracy {float(accuracy):.1%}")
        return history

    return cached("classifier", cfg, step, settings, build, fit, retrain)
