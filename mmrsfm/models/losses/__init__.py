"""Classification losses, registered into mmpretrain's ``MODELS``."""
from .logit_adjusted_loss import LogitAdjustedLoss

__all__ = ['LogitAdjustedLoss']
