"""One yardstick for the benchmarks' image samples (anchors, showcase, pilots)."""
from __future__ import annotations

import torch

from genlib import zoo
from genlib.data import load_images
from genlib.metrics.classifier_scores import class_histogram, confident_share
from genlib.metrics.features import classifier_features, classifier_probabilities
from genlib.metrics.frechet import frechet_distance


class SampleQuality:
    """``SampleQuality(n)(fake)``, images in [0, 1]: Frechet distance, confident share over the real
    images' and rarest class's share (``frechet``, ``confident_ratio``, ``min_class_share``),
    against the first ``n`` Fashion-MNIST test images in the classifier's features."""

    def __init__(self, n: int = 2000):
        self.classifier = zoo.classifier()[0]["classifier"]
        test, _ = load_images("fashion-mnist", "test")
        self.real_features = classifier_features(self.classifier, test[:n])
        self.real_confident = confident_share(classifier_probabilities(self.classifier, test[:n]))

    def __call__(self, fake: torch.Tensor) -> dict:
        probs = classifier_probabilities(self.classifier, fake)
        return {"frechet": frechet_distance(self.real_features,
                                            classifier_features(self.classifier, fake)),
                "confident_ratio": confident_share(probs) / self.real_confident,
                "min_class_share": float(class_histogram(probs).min())}
