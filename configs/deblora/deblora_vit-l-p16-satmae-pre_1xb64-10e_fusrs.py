# debLoRA stage 3 on SatMAE ViT-L/16 -> FUSRS: a second LoRA g_phi on the stage-1 backbone,
# trained to the calibrated features of stage 2 (tools/deblora/cluster_features.py on the stage-1
# config and checkpoint). The procedure and the values are those of
# deblora_vit-b-p16_1xb64-10e_dota-lt.py (our choice there); only backbone and data differ.
_base_ = ['./lora_vit-l-p16-satmae-pre_1xb64-20e_fusrs.py']

stage1_dir = 'work_dirs/lora_vit-l-p16-satmae-pre_1xb64-20e_fusrs'
model = dict(
    _delete_=True,
    type='DebLoRA',
    backbone={{_base_.model.backbone}},
    lora=dict(alpha=16, rank=16, drop_rate=0.0, targets=[dict(type='qkv')]),
    num_classes={{_base_.model.head.num_classes}},
    feat_dim={{_base_.model.head.in_channels}},
    init_cfg=dict(type='Pretrained', checkpoint=stage1_dir + '/calibration_init.pth'))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=9, by_epoch=True, begin=1, end=10, eta_min=1e-6),
]
train_cfg = dict(by_epoch=True, max_epochs=10)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1,
                                     save_best=None))
