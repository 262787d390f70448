# Baseline: mmpretrain's MAE ViT-B/16 (mask ratio 0.75, decoder 512 x 8, loss on every masked
# patch) on the same data with the same schedule, lr = 1.5e-4 x 2048 / 256.
_base_ = [
    'mmpretrain::_base_/models/mae_vit-base-p16.py',
    './_base_/opticalrs-13m.py',
    './_base_/adamw-coslr-800e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
