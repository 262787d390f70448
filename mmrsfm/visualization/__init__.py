"""Visualisation helpers (figures are drawn by the tools in tools/analysis_tools)."""
from .selection import selection_figure, selection_panels, unpatchify

__all__ = ['selection_figure', 'selection_panels', 'unpatchify']
