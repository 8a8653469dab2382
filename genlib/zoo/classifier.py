"""Recipe ``classifier``: the small conv net behind :mod:`genlib.metrics`, one per data set.

    models, history = zoo.pretrained("classifier")                      # the "auto" data set
    models, history = zoo.pretrained("classifier", dataset="digits")   # 8x8 digits
    classifier = models["classifier"]; history.last("test_accuracy")
"""
from __future__ import annotations

import math

from .. import config
from ..data import Batches, load_images, resolve_dataset
from ..metrics.features import classifier_probabilities
from ..models.classifier import SmallClassifier
from ..training.classifier import train_classifier
from . import register


def classifier_config() -> dict:
    return {
        "dataset": resolve_dataset("auto", verbose=False),
        "channels": 32,
        "feature_dim": 128,
        "steps": config.choose(quick=60, full=2300),  # rounded up to whole epochs: full = 5
        "train_images": config.choose(quick=4000, full=None),  # None: the whole train split
        "batch_size": 128,
        "lr": 1e-3,
        "seed": 0,
    }


def image_size_of(dataset: str) -> int:
    return 8 if dataset == "digits" else 28


@register("classifier", classifier_config,
          "small conv classifier: features and class probabilities for the metrics")
def build(cfg: dict):
    config.seed_everything(cfg["seed"])
    model = SmallClassifier(image_size_of(cfg["dataset"]), n_classes=10,
                            channels=cfg["channels"], feature_dim=cfg["feature_dim"])

    def train():
        images, labels = load_images(cfg["dataset"], "train")
        if cfg["train_images"]:
            images, labels = images[:cfg["train_images"]], labels[:cfg["train_images"]]
        batches_per_epoch = len(Batches(images, batch_size=cfg["batch_size"]))
        epochs = max(1, math.ceil(cfg["steps"] / batches_per_epoch))
        history = train_classifier(model, images, labels, epochs=epochs,
                                   batch_size=cfg["batch_size"], lr=cfg["lr"], seed=cfg["seed"],
                                   desc=f"classifier ({cfg['dataset']})")
        test_images, test_labels = load_images(cfg["dataset"], "test")
        predicted = classifier_probabilities(model, test_images).argmax(1)
        accuracy = (predicted == test_labels).float().mean()
        last_step = history.steps["loss"][-1] if "loss" in history else 0
        history.log(last_step, test_accuracy=accuracy)
        print(f"classifier ({cfg['dataset']}): test accuracy {float(accuracy):.1%}")
        return history

    return {"classifier": model}, train
