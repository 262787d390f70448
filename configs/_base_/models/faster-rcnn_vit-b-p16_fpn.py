# Faster R-CNN + FPN on a plain ViT-B/16 (./vit-b-p16_pyramid.py, 800 px inputs): blocks
# [3, 5, 7, 11] -> strides 4/8/16/32, FPN adds stride 64. Leaf configs add the number of classes.
# The backbone reads a file written by
#   python tools/model_converters/vit_to_benchmark.py SRC \
#       checkpoints/selectivemae_vit-base-p16_backbone.pth
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', './vit-b-p16_pyramid.py']

model = dict(
    backbone=dict(_delete_=True, img_size=800, **_base_.vit_b_p16_pyramid),
    neck=dict(in_channels=[768, 768, 768, 768]))
