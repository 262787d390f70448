# CPU-sized debLoRA detection stage 1 (seconds): the LoRA rotated FCOS with a 4-block, 32-wide ViT
# (patch 8) on 64 px images. Tiny long-tailed DOTA data, a random "pretrained" ViT stand-in and
# the whole chain: mmrsfm.testing.deblora_detection.run_tiny_detection_chain
# (python tools/deblora/run_tiny_detection.py).
_base_ = ['./rotated-fcos-le90_vit-b-p16-lora_fpn_1xb2-1x_dota.py']

data_root = 'work_dirs/deblora_fcos_tiny/data/'
pretrained = 'work_dirs/deblora_fcos_tiny/vit-tiny-init.pth'
tiny_vit = dict(
    type='mmpretrain.VisionTransformer',
    arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
    img_size=64,
    patch_size=8,
    out_type='featmap',
    out_indices=[0, 1, 2, 3],
    final_norm=False,
    init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.'))
model = dict(
    backbone=dict(module=dict(_delete_=True, **tiny_vit), alpha=4, rank=4),
    # 4 FPN levels, no extra one: on 64 px images a 5th level would be 1 x 1, and GroupNorm in
    # the head refuses 1 value per channel at batch 1 (validation).
    neck=[
        dict(type='mmseg.Feature2Pyramid', embed_dim=32, rescales=[2, 1, 0.5, 0.25]),
        dict(type='mmdet.FPN', in_channels=[32, 32, 32, 32], out_channels=32, start_level=0,
             num_outs=4),
    ],
    bbox_head=dict(
        in_channels=32,
        feat_channels=32,
        stacked_convs=1,
        strides=[4, 8, 16, 32],  # patch 8: the pyramid starts at stride 4
        regress_ranges=((-1, 8), (8, 16), (16, 32), (32, 1e8)),  # objects of 8-19 px
        # RotatedIoULoss runs mmcv's diff_iou_rotated, which has no CPU kernel: the horizontal
        # IoU + angle L1 losses of mmrotate's rotated-fcos-hbox-le90_r50_fpn_1x_dota.py instead.
        use_hbbox_loss=True,
        angle_coder=dict(type='PseudoAngleCoder'),
        loss_angle=dict(_delete_=True, type='mmdet.L1Loss', loss_weight=0.2),
        loss_bbox=dict(_delete_=True, type='mmdet.IoULoss', loss_weight=1.0)),
    # At most 100 boxes an image (not 2,000): an untrained tiny detector's many low-score boxes
    # would make the DOTA evaluation take minutes.
    test_cfg=dict(nms_pre=200, max_per_img=100))
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=(64, 64), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmdet.PackDetInputs'),
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(64, 64), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = None
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
# Deterministic algorithms (free on the CPU this config is for): two runs give the same figures.
randomness = dict(seed=0, deterministic=True)
