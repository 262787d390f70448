# UperNet R-50 (ImageNet-1k), ISPRS Potsdam (6 classes, boundary ignored), mIoU: the CNN reference
# for the ViT configs (mmseg's SGD 80k schedule, 512 crops, total batch 16).
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    '../../_base_/datasets/potsdam.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]

crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=6),
    auxiliary_head=dict(num_classes=6),
    test_cfg=dict(mode='whole'))
