"""Data samplers (mmseg's ``DATA_SAMPLERS``)."""
from .proportional_batch_sampler import ProportionalBatchSampler, proportional_batch_sizes

__all__ = ['ProportionalBatchSampler', 'proportional_batch_sizes']
