# Faster R-CNN + FPN on a plain ViT-B/16: blocks [3, 5, 7, 11] -> strides 4/8/16/32 (ViTPyramid,
# mmrsfm.models), FPN adds stride 64. Leaf configs add
#   custom_imports = dict(imports=['mmrsfm.models', 'mmrsfm.engine', ...])
# and the number of classes. The backbone reads a file written by
#   python tools/model_converters/vit_to_benchmark.py SRC \
#       checkpoints/selectivemae_vit-base-p16_backbone.pth
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

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
