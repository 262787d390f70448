# Oriented R-CNN (le90) + FPN, SelectiveMAE ViT-L/16 backbone (blocks [7, 11, 15, 23], activation
# checkpointing), DIOR-R. Same recipe as the ViT-B config.
_base_ = './oriented-rcnn-le90_vit-b-p16-selectivemae-pre_fpn_1x_dior-r.py'

model = dict(
    backbone=dict(
        arch='large',
        out_indices=[7, 11, 15, 23],
        with_cp=True,
        init_cfg=dict(checkpoint='checkpoints/selectivemae_vit-large-p16_backbone.pth')),
    neck=dict(in_channels=[1024, 1024, 1024, 1024]))
