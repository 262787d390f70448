# The ViT-B/16 backbone of the dense benchmarks (detection, rotated detection, segmentation):
# SelectiveMAE weights (tools/model_converters/vit_to_benchmark.py) in a ViTPyramid whose blocks
# [3, 5, 7, 11] become strides 4/8/16/32; drop path 0.1, SyncBN in the x4 branch. A model base
# puts it in with its input size:
#   _base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', './vit-b-p16_pyramid.py']
#   model = dict(backbone=dict(_delete_=True, img_size=800, **_base_.vit_b_p16_pyramid))
vit_b_p16_pyramid = dict(
    type='ViTPyramid',
    arch='base',
    patch_size=16,
    out_indices=[3, 5, 7, 11],
    drop_path_rate=0.1,
    norm_cfg=dict(type='LN', eps=1e-6),
    pyramid_norm_cfg=dict(type='SyncBN', requires_grad=True),
    init_cfg=dict(type='Pretrained', prefix='backbone.',
                  checkpoint='checkpoints/selectivemae_vit-base-p16_backbone.pth'))
