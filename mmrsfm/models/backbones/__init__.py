"""Backbones for the downstream benchmarks, registered in mmengine's root ``MODELS`` registry so
mmdet, mmrotate, mmseg and mmpretrain configs all resolve them."""
from .vit_pyramid import DEFAULT_OUT_INDICES, ViTPyramid

__all__ = ['DEFAULT_OUT_INDICES', 'ViTPyramid']
