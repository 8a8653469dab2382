"""genlib.metrics: the classifier behind them, class coverage, and (below) distances between sets."""
import math

import pytest
import torch

from genlib import zoo
from genlib.data import load_images
from genlib.metrics.classifier_scores import (class_coverage_kl, class_histogram,
                                              classifier_report, confident_share)
from genlib.metrics.features import classifier_features, classifier_probabilities
from genlib.models.classifier import SmallClassifier
from genlib.training.classifier import train_classifier


# -- the classifier ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [28, 8])
def test_classifier_shapes(size):
    model = SmallClassifier(size, n_classes=10, channels=4, feature_dim=12)
    x = torch.rand(5, 1, size, size)
    assert model(x).shape == (5, 10)
    assert model.features(x).shape == (5, 12)
    assert (model.features(x) >= 0).all()  # after the ReLU
    assert torch.allclose(model.head(model.features(x)), model(x))


def test_classifier_rejects_odd_sizes():
    with pytest.raises(ValueError, match="multiple of 4"):
        SmallClassifier(30)


def test_training_learns_digits():
    images, labels = load_images("digits", "train")
    model = SmallClassifier(8, channels=8, feature_dim=32)
    history = train_classifier(model, images, labels, epochs=8, batch_size=64, lr=3e-3,
                               log_every=1)
    assert not model.training
    test_images, test_labels = load_images("digits", "test")
    accuracy = (classifier_probabilities(model, test_images).argmax(1) == test_labels)
    assert accuracy.float().mean() > 0.8
    assert history["loss"][-1] < history["loss"][0] / 3


def test_zoo_recipe_trains_caches_and_reports_accuracy(cache_dir, quick_mode):
    cfg = zoo.recipe_config("classifier", dataset="digits")
    assert {"dataset", "channels", "feature_dim", "steps", "batch_size", "lr", "seed"} <= set(cfg)
    models, history = zoo.pretrained("classifier", dataset="digits")
    assert 0.0 <= history.last("test_accuracy") <= 1.0 and not history.from_cache
    again, cached = zoo.pretrained("classifier", dataset="digits")
    assert cached.from_cache and cached.last("test_accuracy") == history.last("test_accuracy")
    x = torch.rand(3, 1, 8, 8)
    assert torch.equal(again["classifier"](x), models["classifier"](x))


def test_features_and_probabilities_are_batched_consistently():
    model = SmallClassifier(8, channels=4, feature_dim=6).train()
    x = torch.rand(23, 1, 8, 8)
    feats = classifier_features(model, x, batch_size=5)
    assert torch.allclose(feats, model.features(x).detach(), atol=1e-6)
    probs = classifier_probabilities(model, x, batch_size=7)
    assert torch.allclose(probs.sum(1), torch.ones(23)) and model.training  # mode restored


# -- class coverage -------------------------------------------------------------------------------
def test_class_histogram_from_labels_and_probabilities():
    assert class_histogram(torch.tensor([0, 0, 2, 1]), 4).tolist() == [0.5, 0.25, 0.25, 0.0]
    probs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert torch.allclose(class_histogram(probs), torch.tensor([1 / 3, 2 / 3], dtype=torch.float64))
    with pytest.raises(ValueError):
        class_histogram(torch.tensor([0.5, 0.5]))


def test_coverage_kl_closed_forms():
    data = torch.arange(10).repeat(30)  # uniform over 10 classes
    assert class_coverage_kl(torch.arange(10).repeat(3), data) == pytest.approx(0.0, abs=1e-12)
    one_class = torch.full((50,), 3)
    assert class_coverage_kl(one_class, data) == pytest.approx(math.log(10))
    half = torch.tensor([0, 1] * 25)  # two of ten classes, equally: log(0.5 / 0.1) = log 5
    assert class_coverage_kl(half, data, n_classes=10) == pytest.approx(math.log(5))
    skewed = torch.tensor([0.7, 0.3], dtype=torch.float64)
    target = torch.tensor([0.5, 0.5], dtype=torch.float64)
    want = 0.7 * math.log(0.7 / 0.5) + 0.3 * math.log(0.3 / 0.5)
    assert class_coverage_kl(skewed, target) == pytest.approx(want)


def test_confident_share():
    probs = torch.tensor([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98], [0.5, 0.5]])
    assert confident_share(probs, 0.9) == pytest.approx(0.5)
    assert confident_share(probs, 0.5) == pytest.approx(1.0)


def test_classifier_report_of_a_perfect_classifier():
    class Oracle(torch.nn.Module):  # "classifies" an image by its mean brightness
        def forward(self, x):
            level = (x.flatten(1).mean(1) * 4).long().clamp(0, 3)
            return torch.nn.functional.one_hot(level, 4).float() * 20

    images = torch.cat([torch.full((5, 1, 8, 8), (k + 0.5) / 4) for k in range(4)])
    report = classifier_report(images, Oracle())
    assert report.coverage_kl == pytest.approx(0.0, abs=1e-9)
    assert report.confident_share == 1.0
    collapsed = classifier_report(images[:5], Oracle())
    assert collapsed.coverage_kl == pytest.approx(math.log(4))
    assert "coverage KL" in str(collapsed)
