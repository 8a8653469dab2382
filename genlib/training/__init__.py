"""Training scaffolding: the one loop (``train``), its scaffold, history and checkpoints."""
from .checkpoints import (CheckpointMismatchError, checkpoint_path, config_key, load_checkpoint,
                          save_checkpoint)
from .history import History
from .loop import TrainingRun, batch_stream, require_positive, train
from .optim import adam, average_weights
from .snapshots import TrainingSnapshots, planned_snapshots, snapshot_steps

__all__ = ["History", "TrainingRun", "train", "batch_stream", "require_positive",
           "CheckpointMismatchError", "checkpoint_path", "config_key", "load_checkpoint",
           "save_checkpoint", "adam", "average_weights", "TrainingSnapshots",
           "planned_snapshots", "snapshot_steps"]
