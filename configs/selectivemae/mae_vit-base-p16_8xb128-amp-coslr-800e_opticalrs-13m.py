# Baseline: mmpretrain's MAE ViT-B/16 (mask ratio 0.75, decoder 512 x 8, loss on every masked
# patch) on the same data with the same schedule (_base_/adamw-coslr-800e.py: batch 1024,
# lr = 1.5e-4 x 1024 / 256, 60 warm-up epochs, 800 epochs; MAE needs no ratio scaling).
_base_ = [
    'mmpretrain::_base_/models/mae_vit-base-p16.py',
    './_base_/opticalrs-13m.py',
    './_base_/adamw-coslr-800e.py',
    'mmpretrain::_base_/default_runtime.py',
]
# [ours] a checkpoint every epoch (an OpticalRS-13M epoch is hours), the last 3 kept.
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
# [ours] seeded; a different data-augmentation stream per rank.
randomness = dict(seed=0, diff_rank_seed=True)
