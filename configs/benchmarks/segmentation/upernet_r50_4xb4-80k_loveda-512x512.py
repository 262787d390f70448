# UperNet R-50 on LoveDA (7 classes, label 0 = no-data ignored), 512 crops, 80k iterations: the
# CNN reference for the ViT configs (mmseg's SGD 80k schedule, total batch 16).
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    '../../_base_/datasets/loveda.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]

crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7),
    # Sliding-window inference as in the benchmark recipe (512 windows, stride 384).
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(384, 384)))
