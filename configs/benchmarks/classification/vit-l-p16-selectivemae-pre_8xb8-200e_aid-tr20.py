# Full fine-tuning of the SelectiveMAE ViT-L/16 on AID (30 classes) at a training ratio of 20%.
# Same recipe as the ViT-B config.
_base_ = './vit-b-p16-selectivemae-pre_8xb8-200e_aid-tr20.py'

model = dict(
    backbone=dict(
        arch='large',
        init_cfg=dict(checkpoint='checkpoints/selectivemae_vit-large-p16_backbone.pth')),
    head=dict(in_channels=1024))
