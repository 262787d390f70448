# SelectiveMAE ViT-B/16 pretrained on MillionAID (the paper's Table 3 and supplementary
# ablations): the OpticalRS-13M config's recipe unchanged, only the data
# (./_base_/millionaid.py). tests/test_selectivemae_data_scaling.py checks that the resolved
# config equals the OpticalRS-13M one but for the data root.
_base_ = [
    './_base_/selectivemae_vit-base-p16.py',
    './_base_/millionaid.py',
    './_base_/adamw-coslr-800e.py',
    'mmpretrain::_base_/default_runtime.py',
]
# As selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py (sources there).
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 1024 / 256 * 0.25 / 0.85))
custom_hooks = [dict(type='PSTSStageHook')]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
