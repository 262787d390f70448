# CPU-sized linear probe matching the tiny LoRA / debLoRA configs.
_base_ = ['./linear-probe_vit-b-p16_1xb64-30e_dota-lt.py']

backbone_checkpoint = 'work_dirs/deblora_tiny/deblora/backbone_merged.pth'
model = dict(
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch=dict(embed_dims=64, num_layers=2, num_heads=2, feedforward_channels=128),
        img_size=32,
        patch_size=8,
        out_type='cls_token',
        frozen_stages=2,
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint, prefix='backbone')),
    head=dict(in_channels=64))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = [dict(type='CosineAnnealingLR', T_max=5, by_epoch=True, begin=0, end=5)]
train_cfg = dict(max_epochs=5)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10))
# A fixed seed and deterministic algorithms (free on the CPU these tiny configs are for): two
# runs give the same figures. run_tiny_pipeline.py --seed overrides the seed.
randomness = dict(seed=0, deterministic=True)
