"""Self-supervised pretraining (mmpretrain): SelectiveMAE."""
from .cross_attention_decoder import CrossAttentionDecoder
from .selective_mae import SelectiveMAE, SelectiveMAEViT, patchify
from .token_selection import HOGTokenSelector, hog_cell_histograms, hog_patch_scores, token_budget

__all__ = [
    'CrossAttentionDecoder', 'SelectiveMAE', 'SelectiveMAEViT', 'patchify', 'HOGTokenSelector',
    'hog_cell_histograms', 'hog_patch_scores', 'token_budget'
]
