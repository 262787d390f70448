# UperNet R-50 on LoveDA (7 classes, label 0 = no-data ignored), 512 crops, 80k iterations.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/loveda.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7),
    # Sliding-window inference as in the benchmark recipe (512 windows, stride 384).
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(384, 384)))
train_dataloader = dict(batch_size=4)
