# UperNet, SelectiveMAE ViT-L/16 backbone (blocks [7, 11, 15, 23], activation checkpointing), LoveDA
# (7 classes, no-data ignored), mIoU; sliding-window inference 512 / stride 384. Same recipe as the
# ViT-B config.
_base_ = [
    './upernet_vit-b-p16-selectivemae-pre_4xb2-80k_loveda-512x512.py',
    '../../_base_/models/vit-l-p16_pyramid.py',
]

model = dict(
    backbone=_base_.vit_l_p16_pyramid,
    decode_head=dict(in_channels=[1024] * 4),
    auxiliary_head=dict(in_channels=1024))
