"""Training scaffolding: history, progress/NaN guard, checkpoints, and the explicit loops."""
from .checkpoints import CheckpointMismatchError, checkpoint_path, load_checkpoint, save_checkpoint
from .history import History
from .loop import TrainingRun, require_positive

__all__ = ["History", "TrainingRun", "require_positive", "CheckpointMismatchError",
           "checkpoint_path", "load_checkpoint", "save_checkpoint"]
