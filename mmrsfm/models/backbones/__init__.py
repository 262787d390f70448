"""Backbones for the downstream benchmarks, registered in the ``MODELS`` registries of mmdet,
mmrotate, mmseg and mmpretrain (:func:`mmrsfm.registry.register_in_toolboxes`), so configs of all
four toolboxes resolve them."""
from .vit_pyramid import DEFAULT_OUT_INDICES, ViTPyramid

__all__ = ['DEFAULT_OUT_INDICES', 'ViTPyramid']
