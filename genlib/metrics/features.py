"""What the metrics measure with: the classifier's penultimate features and its probabilities."""
from __future__ import annotations

import torch

from ..checks import require_positive, require_tensor, require_unit_interval


def _batched(fn, images: torch.Tensor, batch_size: int, model: torch.nn.Module) -> torch.Tensor:
    require_unit_interval("images", require_tensor("images", images, floating=True))
    require_positive("batch_size", batch_size, integer=True)
    size = getattr(model, "image_size", None)
    if images.dim() != 4 or len(images) == 0 or (size and images.shape[-2:] != (size, size)):
        want = f"1 x {size} x {size}" if size else "1 x H x W"
        raise ValueError(f"images must be a batch of N >= 1 images N x {want} (the size the "
                         f"classifier was trained on), got shape {tuple(images.shape)}; use the "
                         "classifier of the images' data set")
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            parts = [fn(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(parts).float()


def classifier_features(classifier: torch.nn.Module, images: torch.Tensor,
                        batch_size: int = 500) -> torch.Tensor:
    """``classifier.features`` of ``N x 1 x H x W`` images in [0, 1]: an ``N x d`` tensor."""
    return _batched(classifier.features, images, batch_size, classifier)


def classifier_probabilities(classifier: torch.nn.Module, images: torch.Tensor,
                             batch_size: int = 500) -> torch.Tensor:
    """softmax of the classifier's logits: ``N x n_classes`` class probabilities p(y|x)."""
    return _batched(lambda x: classifier(x).softmax(-1), images, batch_size, classifier)
