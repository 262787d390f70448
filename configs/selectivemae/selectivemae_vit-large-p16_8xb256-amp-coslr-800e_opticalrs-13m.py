# SelectiveMAE ViT-L/16 on OpticalRS-13M (same recipe as ViT-B).
_base_ = './selectivemae_vit-base-p16_8xb256-amp-coslr-800e_opticalrs-13m.py'
model = dict(
    backbone=dict(arch='l'),
    neck=dict(embed_dim=1024))
