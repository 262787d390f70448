# Baseline: mmpretrain's MAE ViT-B/16 on MillionAID (the paper's Table 1 first row, Table 3):
# the OpticalRS-13M MAE config's recipe unchanged, only the data (./_base_/millionaid.py).
_base_ = [
    'mmpretrain::_base_/models/mae_vit-base-p16.py',
    './_base_/millionaid.py',
    './_base_/adamw-coslr-800e.py',
    'mmpretrain::_base_/default_runtime.py',
]
# As mae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py.
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
