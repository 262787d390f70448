"""Self-supervised pretraining (mmpretrain): SelectiveMAE's token selection."""
from .token_selection import (HOGTokenSelector, hog_cell_histograms, hog_patch_scores,
                              token_budget)

__all__ = ['HOGTokenSelector', 'hog_cell_histograms', 'hog_patch_scores', 'token_budget']
