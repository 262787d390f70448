# SAMRS segmentation pretraining (SEP): UperNet R-50 trained on SOTA + SIOR + FAST at once, one
# 1x1 classifier per subset (18 / 20 / 37 classes) on a shared backbone and UperNet body. Each batch
# of 96 (8 GPUs x 12) holds per-subset sub-batches in proportion to the subset sizes; the loss is
# the sum of the per-subset cross-entropies (label 255 ignored). Backbone initialised from
# ImageNet (IMP+SEP in the paper); AdamW 1e-3, cosine to 5e-6, 80k iterations, 224 crops.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    './_base_/datasets/samrs_sep.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (224, 224)
model = dict(
    type='MultiHeadEncoderDecoder',
    data_preprocessor=dict(size=crop_size),
    auxiliary_head=None,
    decode_head=dict(
        type='MultiSourceUPerHead',
        source_classes=dict(sota=18, sior=20, fast=37),
        # Mean over labelled pixels only, like torch's CrossEntropyLoss(ignore_index=255).
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    test_cfg=dict(mode='whole'))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=80000, eta_min=5e-6, by_epoch=False, begin=0, end=80000)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=96)
