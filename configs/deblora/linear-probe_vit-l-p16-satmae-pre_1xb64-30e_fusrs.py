# Linear probe of a frozen SatMAE ViT-L/16 on SAR chips (macro-F1 overall and per group given
# in the data config). `backbone_checkpoint`: the exported (LoRA-merged) backbone of the LoRA or
# debLoRA run (tools/model_converters/export_lora_backbone.py), or the converted SatMAE weights
# themselves for the paper's Zero-Shot row (frozen foundation model + probe). The probe's values
# are those of linear-probe_vit-b-p16_1xb64-30e_dota-lt.py (our choice there).
_base_ = ['./_base_/fusrs_sar.py', 'mmpretrain::_base_/default_runtime.py']

backbone_checkpoint = 'work_dirs/deblora_vit-l-p16-satmae-pre_1xb64-10e_fusrs/backbone_merged.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='l',
        img_size={{_base_.img_size}},
        patch_size=16,
        out_type='cls_token',
        frozen_stages=24,
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint, prefix='backbone')),
    head=dict(type='LinearClsHead', num_classes={{_base_.num_classes}}, in_channels=1024,
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
randomness = dict(seed=0, deterministic=False)
