from .psts_hook import PSTSStageHook

__all__ = ['PSTSStageHook']
