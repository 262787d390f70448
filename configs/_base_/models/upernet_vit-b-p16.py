# UperNet on a plain ViT-B/16 (ViTPyramid, mmrsfm.models): blocks [3, 5, 7, 11] -> strides
# 4/8/16/32 into UPerHead; the auxiliary FCN head reads the stride-16 level. Leaf configs add
# custom_imports, the classes and the crop size.
_base_ = 'mmseg::_base_/models/upernet_r50.py'

model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='ViTPyramid',
        arch='base',
        img_size=512,
        patch_size=16,
        out_indices=[3, 5, 7, 11],
        drop_path_rate=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        pyramid_norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='checkpoints/selectivemae_vit-base-p16_backbone.pth')),
    decode_head=dict(in_channels=[768, 768, 768, 768], channels=512),
    auxiliary_head=dict(in_channels=768, in_index=2))
