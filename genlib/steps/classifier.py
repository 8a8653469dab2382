r"""``classifier_step``: the metrics' classifier, trained on -log p(y|x) (cross-entropy).

Written here by hand: no notebook teaches it (the other step modules are collected from the
notebooks by ``tools/collect_steps.py``).
"""
import torch.nn.functional as F


def classifier_step(classifier, opt, x, y, rng):
    """One Adam step on the mean cross-entropy of the labelled batch (``rng`` is unused)."""
    logits = classifier(x)
    loss = F.cross_entropy(logits, y)               # -E log p(y|x)
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss, "accuracy": (logits.argmax(1) == y).float().mean()}
