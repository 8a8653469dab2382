"""Training scaffolding: history, progress/NaN guard, checkpoints, and the explicit loops."""
from .bigan import train_bigan
from .checkpoints import (CheckpointMismatchError, checkpoint_path, config_key, load_checkpoint,
                          save_checkpoint)
from .classifier import train_classifier
from .ema import WeightAverage
from .flows import fit_posterior
from .gan import GAN_LOSSES, make_gan_optimizers, real_sampler, train_gan
from .history import History
from .loop import TrainingRun, require_positive
from .optim import adam
from .vae import model_elbo, train_vae
from .vaegan import train_vaegan

__all__ = ["History", "TrainingRun", "require_positive", "CheckpointMismatchError",
           "checkpoint_path", "config_key", "load_checkpoint", "save_checkpoint",
           "GAN_LOSSES", "real_sampler", "make_gan_optimizers", "train_gan", "model_elbo",
           "train_vae", "train_classifier", "train_vaegan", "train_bigan", "fit_posterior",
           "WeightAverage", "adam"]
