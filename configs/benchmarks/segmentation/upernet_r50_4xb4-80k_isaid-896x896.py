# UperNet R-50 (ImageNet-1k), iSAID (15 object classes + background), mIoU: the CNN reference for
# the ViT configs (mmseg's SGD 80k schedule, 896 crops, total batch 16).
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    '../../_base_/datasets/isaid.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]

crop_size = (896, 896)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=16),
    auxiliary_head=dict(num_classes=16),
    test_cfg=dict(mode='whole'))
