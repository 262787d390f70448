# Full fine-tuning of the SelectiveMAE ViT-B/16 on AID (30 classes) at a training ratio of 20%
# (seeded stratified split, the rest for testing), overall accuracy. Paper recipe (Table 9 (ii)):
# 224 px, AdamW (base lr 1e-3 per 256), wd 0.05, layer decay 0.75, drop path 0.1, 200 epochs,
# Mixup / CutMix / RandAugment, label smoothing 0.1, total batch 64 (8 GPUs x 8).
_base_ = [
    '../../_base_/models/vit-b-p16_finetune.py',
    '../../_base_/datasets/aid_tr20.py',
    '../../_base_/schedules/vit_finetune_adamw-ld0.75_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

model = dict(head=dict(num_classes={{_base_.num_classes}}))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
         magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand', min_area_ratio=0.02,
         max_area_ratio=1 / 3, fill_color=[103.53, 116.28, 123.675],
         fill_std=[57.375, 57.12, 58.395]),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224), backend='pillow', interpolation='bicubic'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=64, dataset=dict(pipeline=test_pipeline))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2, save_best='auto'))
