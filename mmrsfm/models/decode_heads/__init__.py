"""Decode heads (mmseg's ``MODELS``)."""
from .multi_source_uper_head import MultiSourceUPerHead, group_by_source

__all__ = ['MultiSourceUPerHead', 'group_by_source']
