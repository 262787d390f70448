# debLoRA stage 3 for detection: a second LoRA g_phi on the stage-1 backbone f_theta (LoRA
# detector rotated-fcos-le90_vit-b-p16-lora_fpn_1xb2-1x_dota.py), trained so that the features it
# pools inside each ground-truth box of the DOTA training patches match the calibrated object
# features of stage 2 (MSE; mmrsfm.models.peft.DetDebLoRA). `init_cfg` loads the file stage 2
# writes beside its calibration.npz: f_theta (LoRA merged) and the calibration. No detector
# head: export the backbone (tools/model_converters/export_lora_backbone.py) and train stage 4,
# rotated-fcos-le90_vit-b-p16-deblora_fpn_1xb2-1x_dota.py.
_base_ = ['./rotated-fcos-le90_vit-b-p16-lora_fpn_1xb2-1x_dota.py']

stage1_dir = 'work_dirs/rotated-fcos-le90_vit-b-p16-lora_fpn_1xb2-1x_dota'
model = dict(
    _delete_=True,
    type='DetDebLoRA',
    backbone={{_base_.model.backbone}},
    # g_phi: the rank of stage 1 and of the classification stage 3, no dropout (as
    # deblora_vit-b-p16_1xb64-10e_dota-lt.py).
    lora=dict(alpha=16, rank=16, drop_rate=0.0, targets=[dict(type='qkv')]),
    num_classes=15,
    feat_dim=768,
    data_preprocessor={{_base_.model.data_preprocessor}},
    init_cfg=dict(type='Pretrained', checkpoint=stage1_dir + '/calibration_init.pth'))

# Optimiser of the classification stage 3 (deblora_vit-b-p16_1xb64-10e_dota-lt.py: AdamW lr 1e-3,
# wd 0.05, clipping 5, linear warm-up then cosine); 12 epochs (our choice: as many passes over
# the training objects as the detector's 1x schedule).
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=11, by_epoch=True, begin=1, end=12, eta_min=1e-6),
]
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=12)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
