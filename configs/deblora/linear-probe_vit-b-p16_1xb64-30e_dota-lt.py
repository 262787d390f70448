# Linear probe of a frozen (exported, LoRA-merged) ViT-B/16 on DOTA-LT crops, reporting macro-F1
# overall and per head / middle / tail group. Point `backbone_checkpoint` at the output of
# tools/model_converters/export_lora_backbone.py for the LoRA (stage 1) or debLoRA (stage 3) run.
_base_ = ['./_base_/dota-lt_crops.py', 'mmpretrain::_base_/default_runtime.py']

backbone_checkpoint = 'work_dirs/deblora_vit-b-p16_1xb64-10e_dota-lt/backbone_merged.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='b',
        img_size={{_base_.img_size}},
        patch_size=16,
        out_type='cls_token',
        frozen_stages=12,
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint, prefix='backbone')),
    head=dict(type='LinearClsHead', num_classes=15, in_channels=768,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# Probe on fixed features: the test pipeline for training too (no augmentation).
train_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline}}))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, begin=0, end=30)]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1,
                    save_best='long-tail/macro_f1', rule='greater'))
# A fixed seed (see lora_vit-b-p16_1xb64-20e_dota-lt.py): a rerun trains the same probe.
randomness = dict(seed=0, deterministic=False)
