from .class_counts_hook import ClassCountsHook
from .psts_hook import PSTSStageHook

__all__ = ['ClassCountsHook', 'PSTSStageHook']
