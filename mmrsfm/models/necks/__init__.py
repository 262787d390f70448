"""Necks, registered in the ``MODELS`` registries of mmdet, mmrotate, mmseg and mmpretrain
(:func:`mmrsfm.registry.register_in_toolboxes`)."""
from .repeat_last_feature2pyramid import RepeatLastFeature2Pyramid

__all__ = ['RepeatLastFeature2Pyramid']
