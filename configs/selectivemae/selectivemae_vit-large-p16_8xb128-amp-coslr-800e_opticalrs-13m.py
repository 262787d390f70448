# SelectiveMAE ViT-L/16 on OpticalRS-13M (same recipe as the ViT-B config).
_base_ = './selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py'
model = dict(
    backbone=dict(arch='l'),
    neck=dict(embed_dim=1024))
