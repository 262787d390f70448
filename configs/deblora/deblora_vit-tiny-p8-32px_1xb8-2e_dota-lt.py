# CPU-sized debLoRA stage 3 matching lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py. `init_cfg` loads
# the file stage 2 (tools/deblora/cluster_features.py) writes beside its calibration.npz: f_theta
# (the stage-1 backbone, LoRA merged) and the calibration buffers.
_base_ = ['./lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py']

stage1_dir = 'work_dirs/deblora_tiny/lora'
model = dict(
    _delete_=True,
    type='DebLoRA',
    backbone={{_base_.model.backbone}},
    lora=dict(alpha=4, rank=4, targets=[dict(type='qkv')]),
    num_classes={{_base_.model.head.num_classes}},
    feat_dim={{_base_.model.head.in_channels}},
    init_cfg=dict(type='Pretrained', checkpoint=stage1_dir + '/calibration_init.pth'))
train_cfg = dict(by_epoch=True, max_epochs=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, save_best=None))
