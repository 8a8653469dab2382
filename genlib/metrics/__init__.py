"""Measuring generative models with a small classifier trained on the data (notebook 08).

* ``features.py``          -- the classifier's penultimate features and class probabilities
* ``classifier_scores.py`` -- class histogram, class-coverage KL, rarest class share, confident share
* ``frechet.py``           -- Frechet distance of two feature sets
* ``precision_recall.py``  -- k-NN manifold precision and recall (Kynkäänniemi et al. 2019)
* ``nearest.py``           -- nearest neighbours: distance of samples to the training set
* ``compare.py``           -- notebook 08's table: every measure for several models at once
* ``linear_probe.py``      -- logistic regression on frozen features (notebook 09)
* ``likelihood.py``        -- importance-weighted test log-likelihood of a VAE (VAE track)
* ``toy2d.py``             -- modes covered and sample quality on 2-D toys (GAN track)
* ``sharpness.py``         -- pixel sharpness: mean squared difference of neighbouring pixels
"""
from .classifier_scores import class_coverage_kl, class_histogram, confident_share, min_class_share
from .features import classifier_features, classifier_probabilities
from .compare import Contender, comparison_rows, format_table, sample_scores
from .frechet import frechet_distance, gaussian_frechet_distance, mean_and_covariance
from .likelihood import (TEST_BINARIZATION_SEED, fixed_binarization, iwae_estimate, iwae_log_weights,
                         vae_elbo)
from .linear_probe import linear_probe_accuracy
from .nearest import flatten_points, nearest_neighbours, nearest_training_distance
from .precision_recall import PrecisionRecall, knn_radii, manifold_membership, precision_recall
from .sharpness import image_sharpness
from .toy2d import ModeCoverage, coverage_tracker, mode_coverage, nearest_mode, same_mode_share

__all__ = ["classifier_features", "classifier_probabilities", "confident_share",
           "class_histogram", "class_coverage_kl", "min_class_share",
           "frechet_distance", "gaussian_frechet_distance",
           "mean_and_covariance", "nearest_neighbours", "nearest_training_distance",
           "flatten_points", "precision_recall", "PrecisionRecall", "knn_radii",
           "manifold_membership", "sample_scores", "comparison_rows", "format_table", "Contender",
           "linear_probe_accuracy", "TEST_BINARIZATION_SEED", "fixed_binarization",
           "iwae_estimate", "iwae_log_weights", "vae_elbo", "ModeCoverage", "nearest_mode", "mode_coverage",
           "same_mode_share", "image_sharpness",
           "coverage_tracker"]
