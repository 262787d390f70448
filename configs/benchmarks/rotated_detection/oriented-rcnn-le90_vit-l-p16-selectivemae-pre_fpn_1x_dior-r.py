# Oriented R-CNN (le90) + FPN, SelectiveMAE ViT-L/16 backbone (blocks [7, 11, 15, 23], activation
# checkpointing), DIOR-R. Same recipe as the ViT-B config.
_base_ = [
    './oriented-rcnn-le90_vit-b-p16-selectivemae-pre_fpn_1x_dior-r.py',
    '../../_base_/models/vit-l-p16_pyramid.py',
]

model = dict(
    backbone=_base_.vit_l_p16_pyramid,
    neck=dict(in_channels=[1024] * 4))
