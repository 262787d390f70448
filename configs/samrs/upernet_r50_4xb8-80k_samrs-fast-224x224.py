# UperNet R-50 on one SAMRS subset: FAST (37 classes, label 255 = no object, ignored), 224 crops
# with the SEP augmentation, 80k iterations (mmseg's UperNet recipe: SGD 0.01, poly).
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    './_base_/datasets/samrs.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (224, 224)
# Mean over labelled pixels only: most SAMRS pixels are 255.
loss_decode = dict(
    type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=37, loss_decode=loss_decode),
    auxiliary_head=dict(num_classes=37, loss_decode=dict(loss_weight=0.4, avg_non_ignore=True)),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.fast_train}})
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset={{_base_.fast_val}})
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
