"""Measuring generative models with a small classifier trained on the data (notebook 08).

* ``features.py``          -- the classifier's penultimate features and class probabilities
* ``classifier_scores.py`` -- class histogram, class-coverage KL, confident share, a report
"""
from .classifier_scores import (ClassifierReport, class_coverage_kl, class_histogram,
                                classifier_report, confident_share)
from .features import classifier_features, classifier_probabilities

__all__ = ["classifier_features", "classifier_probabilities", "confident_share",
           "class_histogram", "class_coverage_kl", "classifier_report", "ClassifierReport"]
