# Oriented R-CNN (le90) + FPN on a plain ViT-B/16 (./vit-b-p16_pyramid.py, 800 px inputs):
# blocks [3, 5, 7, 11] -> strides 4/8/16/32. Leaf configs add the classes and the input size.
_base_ = ['./oriented-rcnn-le90_r50_fpn.py', './vit-b-p16_pyramid.py']

model = dict(
    backbone=dict(_delete_=True, img_size=800, **_base_.vit_b_p16_pyramid),
    neck=dict(in_channels=[768, 768, 768, 768]))
