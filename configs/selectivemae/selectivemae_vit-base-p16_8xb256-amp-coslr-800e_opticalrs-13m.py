# SelectiveMAE ViT-B/16 on OpticalRS-13M with the paper's recipe (_base_/adamw-coslr-800e.py);
# lr = 1.5e-4 x 2048 / 256 x 0.25 / 0.85.
_base_ = [
    './_base_/selectivemae_vit-base-p16.py',
    './_base_/opticalrs-13m.py',
    './_base_/adamw-coslr-800e.py',
    'mmpretrain::_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 2048 / 256 * 0.25 / 0.85))
custom_hooks = [dict(type='PSTSStageHook')]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
