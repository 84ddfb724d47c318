"""Training, evaluation and checkpointing (see :class:`pointrecon.train.trainer.Trainer`)."""

from pointrecon.train.multistage_loss import MultiStageLoss

__all__ = ["MultiStageLoss"]
