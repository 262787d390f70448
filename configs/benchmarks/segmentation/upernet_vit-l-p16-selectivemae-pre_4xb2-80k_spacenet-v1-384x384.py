# UperNet, SelectiveMAE ViT-L/16 backbone (blocks [7, 11, 15, 23], activation checkpointing),
# SpaceNetv1 buildings (2 classes), mF1 (the paper's number) and mIoU. Same recipe as the ViT-B
# config.
_base_ = './upernet_vit-b-p16-selectivemae-pre_4xb2-80k_spacenet-v1-384x384.py'

model = dict(
    backbone=dict(
        arch='large',
        out_indices=[7, 11, 15, 23],
        with_cp=True,
        init_cfg=dict(checkpoint='checkpoints/selectivemae_vit-large-p16_backbone.pth')),
    decode_head=dict(in_channels=[1024, 1024, 1024, 1024]),
    auxiliary_head=dict(in_channels=1024))
