"""Metrics, registered into the registry of the toolbox that evaluates with them."""
from .long_tail_f1 import LongTailF1

__all__ = ['LongTailF1']
