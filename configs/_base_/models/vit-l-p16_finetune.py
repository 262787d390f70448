# ViT-L/16 in place of the ViT-B/16 of ./vit-b-p16_finetune.py (SelectiveMAE ViT-L weights, a
# 1,024-wide head). A ViT-L classification config inherits its ViT-B config and this file:
#   _base_ = ['./vit-base-p16_..._aid-tr20.py', '../../_base_/models/vit-l-p16_finetune.py']
#   model = _base_.vit_l_p16_finetune
vit_l_p16_finetune = dict(
    backbone=dict(
        arch='large',
        init_cfg=dict(checkpoint='checkpoints/selectivemae_vit-large-p16_backbone.pth')),
    head=dict(in_channels=1024))
