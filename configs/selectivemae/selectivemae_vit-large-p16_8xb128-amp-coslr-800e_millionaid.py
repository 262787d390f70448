# SelectiveMAE ViT-L/16 pretrained on MillionAID (Table 3), as the ViT-B MillionAID config.
_base_ = './selectivemae_vit-base-p16_8xb128-amp-coslr-800e_millionaid.py'
model = dict(
    backbone=dict(arch='l'),
    neck=dict(embed_dim=1024))
