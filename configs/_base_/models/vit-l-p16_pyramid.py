# ViT-L/16 in place of the ViT-B/16 of ./vit-b-p16_pyramid.py: 24 blocks, pyramid from blocks
# [7, 11, 15, 23], activation checkpointing, SelectiveMAE ViT-L weights. A ViT-L config inherits
# its ViT-B config and this file, and widens what reads the backbone's 1,024 channels:
#   _base_ = ['./upernet_vit-b-p16-selectivemae-pre_4xb2-80k_loveda-512x512.py',
#             '../../_base_/models/vit-l-p16_pyramid.py']
#   model = dict(backbone=_base_.vit_l_p16_pyramid, decode_head=dict(in_channels=[1024] * 4), ...)
vit_l_p16_pyramid = dict(
    arch='large',
    out_indices=[7, 11, 15, 23],
    with_cp=True,
    init_cfg=dict(checkpoint='checkpoints/selectivemae_vit-large-p16_backbone.pth'))
