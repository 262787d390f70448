# CPU-sized debLoRA detection stage 3 matching
# rotated-fcos-le90_vit-tiny-p8-64px-lora_fpn_1xb2-2e_dota.py.
_base_ = ['./rotated-fcos-le90_vit-tiny-p8-64px-lora_fpn_1xb2-2e_dota.py']

stage1_dir = 'work_dirs/deblora_fcos_tiny/lora'
model = dict(
    _delete_=True,
    type='DetDebLoRA',
    backbone={{_base_.model.backbone}},
    lora=dict(alpha=4, rank=4, targets=[dict(type='qkv')]),
    num_classes=15,
    feat_dim=32,
    data_preprocessor={{_base_.model.data_preprocessor}},
    init_cfg=dict(type='Pretrained', checkpoint=stage1_dir + '/calibration_init.pth'))
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = None
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
