# Baseline: mmpretrain's MAE ViT-L/16 on MillionAID (Table 3), as the ViT-B MillionAID config.
_base_ = './mae_vit-base-p16_8xb128-amp-coslr-800e_millionaid.py'
model = dict(backbone=dict(type='MAEViT', arch='l'), neck=dict(embed_dim=1024))
