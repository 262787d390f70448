# Baseline: mmpretrain's MAE ViT-L/16 on OpticalRS-13M (see the ViT-B config).
_base_ = './mae_vit-base-p16_8xb256-amp-coslr-800e_opticalrs-13m.py'
model = dict(backbone=dict(type='MAEViT', arch='l'), neck=dict(embed_dim=1024))
