"""One table for several generative models (notebook 08).

Every model is judged on the same footing: ``n`` generated images against ``n`` real test
images, in the features of the data set's classifier (:mod:`genlib.metrics.features`):

* classifier-feature Frechet distance (lower is better; the row "real test images" compares two
  halves of the test set: the floor that sampling noise alone reaches),
* precision and recall with k-NN manifolds (k = 3),
* class coverage: KL of the predicted-class histogram to the data's classes, the rarest class's
  share relative to the data's (0 if a class is missing), and the share of confidently
  classified samples,
* memorisation: the median pixel distance of a sample to its nearest training image, next to
  the same for real test images (a model that copies its training set scores far below it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from ..checks import require_positive, require_seed
from .classifier_scores import class_coverage_kl, class_histogram, confident_share, min_class_share
from .features import classifier_features, classifier_probabilities
from .frechet import frechet_distance
from .nearest import nearest_training_distance
from .precision_recall import precision_recall

COLUMNS = [  # (key, header, format)
    ("frechet", "classifier-feature Frechet distance", "{:.2f}"),
    ("precision", "precision", "{:.2f}"),
    ("recall", "recall", "{:.2f}"),
    ("coverage_kl", "class-coverage KL (nats)", "{:.3f}"),
    ("min_class_share", "rarest class / its data share", "{:.2f}"),
    ("confident", "confidently classified", "{:.0%}"),
    ("nearest_train", "median distance to nearest training image", "{:.2f}"),
    ("test_nll", "test NLL (nats/image)", "{:.1f}"),
    ("encoder", "encoder", "{}"),
    ("train_seconds", "training time (s)", "{:.0f}"),
]


def sample_scores(samples: torch.Tensor, real: torch.Tensor, classifier: torch.nn.Module,
                  data_labels: torch.Tensor, train_images: torch.Tensor, k: int = 3) -> dict:
    """The sample-based columns for ``samples`` (``N x 1 x H x W`` in [0, 1]) against ``real``
    test images (use as many as samples: precision/recall radii depend on N)."""
    feats_fake = classifier_features(classifier, samples)
    feats_real = classifier_features(classifier, real)
    probs = classifier_probabilities(classifier, samples)
    pr = precision_recall(feats_real, feats_fake, k=k)
    distances, _ = nearest_training_distance(samples, train_images)
    return {
        "frechet": frechet_distance(feats_real, feats_fake),
        "precision": pr.precision,
        "recall": pr.recall,
        "coverage_kl": class_coverage_kl(class_histogram(probs), data_labels),
        "min_class_share": min_class_share(class_histogram(probs), data_labels),
        "confident": confident_share(probs),
        "nearest_train": float(distances.median()),
    }


def format_table(rows: dict[str, dict]) -> str:
    """A markdown table: one row per model (``rows[name]`` holds any of the COLUMNS' keys;
    missing or None shows as "n/a")."""
    keys = [key for key, _, _ in COLUMNS if any(key in row for row in rows.values())]
    headers = {key: header for key, header, _ in COLUMNS}
    formats = {key: fmt for key, _, fmt in COLUMNS}
    lines = ["| model | " + " | ".join(headers[k] for k in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for name, row in rows.items():
        cells = []
        for key in keys:
            value = row.get(key)
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            cells.append("n/a" if missing else formats[key].format(value))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass
class Contender:
    """A trained model as the comparison sees it."""
    name: str
    decode: Callable[[torch.Tensor], torch.Tensor]   # z (B x latent_dim) -> images in [0, 1]
    latent_dim: int
    encode: Callable[[torch.Tensor], torch.Tensor] | None = None   # images -> codes, if any
    test_nll: Callable[[torch.Tensor], float] | None = None        # test images -> nats/image
    train_seconds: float = math.nan

    def sample(self, n: int, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
        """``n`` images from z ~ N(0, I) (fixed by ``seed``)."""
        require_positive("n", n, integer=True)
        require_positive("batch_size", batch_size, integer=True)
        require_seed("seed", seed)
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed))
        with torch.inference_mode():
            return torch.cat([self.decode(z[i:i + batch_size]) for i in range(0, n, batch_size)])


def comparison_rows(contenders: list[Contender], classifier: torch.nn.Module,
                    test_images: torch.Tensor, test_labels: torch.Tensor,
                    train_images: torch.Tensor, n_samples: int, nll_images: int,
                    seed: int = 0) -> dict[str, dict]:
    """The table's rows: "real test images" (two halves of the test set: the noise floor),
    then every contender on ``n_samples`` samples against the first ``n_samples`` test images.
    ``test_nll`` is evaluated on the first ``nll_images`` test images."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2 \
            or 2 * n_samples > len(test_images):
        raise ValueError(f"n_samples must be a whole number from 2 to half the test set "
                         f"({len(test_images) // 2} here: the real-image row compares two halves), "
                         f"got {n_samples!r}")
    require_positive("nll_images", nll_images, integer=True)
    real = test_images[:n_samples]
    other_half = test_images[n_samples:2 * n_samples]
    rows = {"real test images": {
        **sample_scores(other_half, real, classifier, test_labels, train_images),
        "test_nll": None, "encoder": "-", "train_seconds": None}}
    for model in contenders:
        scores = sample_scores(model.sample(n_samples, seed), real, classifier, test_labels,
                               train_images)
        nll = model.test_nll(test_images[:nll_images]) if model.test_nll else None
        rows[model.name] = {**scores, "test_nll": nll,
                            "encoder": "yes" if model.encode else "no",
                            "train_seconds": model.train_seconds}
    return rows
