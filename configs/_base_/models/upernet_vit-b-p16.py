# UperNet on a plain ViT-B/16 (./vit-b-p16_pyramid.py): blocks [3, 5, 7, 11] -> strides
# 4/8/16/32 into UPerHead; the auxiliary FCN head reads the stride-16 level. Leaf configs add the
# classes and the crop size.
_base_ = ['mmseg::_base_/models/upernet_r50.py', './vit-b-p16_pyramid.py']

model = dict(
    pretrained=None,
    backbone=dict(_delete_=True, img_size=512, **_base_.vit_b_p16_pyramid),
    decode_head=dict(in_channels=[768, 768, 768, 768], channels=512),
    auxiliary_head=dict(in_channels=768, in_index=2))
