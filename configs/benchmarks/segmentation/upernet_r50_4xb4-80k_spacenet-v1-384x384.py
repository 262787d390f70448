# UperNet R-50 (ImageNet-1k), SpaceNetv1 buildings (2 classes), mF1 (the paper's number) and mIoU:
# the CNN reference for the ViT configs (mmseg's SGD 80k schedule, 384 crops, total batch 16).
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    '../../_base_/datasets/spacenet-v1.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]

crop_size = (384, 384)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=2),
    auxiliary_head=dict(num_classes=2),
    test_cfg=dict(mode='whole'))
