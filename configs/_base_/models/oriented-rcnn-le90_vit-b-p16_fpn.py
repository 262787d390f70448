# Oriented R-CNN (le90) + FPN on a plain ViT-B/16 (ViTPyramid, mmrsfm.models): blocks
# [3, 5, 7, 11] -> strides 4/8/16/32. Leaf configs add custom_imports and the classes.
_base_ = './oriented-rcnn-le90_r50_fpn.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ViTPyramid',
        arch='base',
        img_size=800,
        patch_size=16,
        out_indices=[3, 5, 7, 11],
        drop_path_rate=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        pyramid_norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='checkpoints/selectivemae_vit-base-p16_backbone.pth')),
    neck=dict(in_channels=[768, 768, 768, 768]))
