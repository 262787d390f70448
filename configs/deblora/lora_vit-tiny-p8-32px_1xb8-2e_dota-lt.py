# A CPU-sized stage 1 (minutes): 2-layer ViT on 32 px crops. Generate a random "pretrained" ViT
# stand-in for it (and tiny long-tailed data) with `python tools/deblora/run_tiny_pipeline.py`.
_base_ = ['./lora_vit-b-p16_1xb64-20e_dota-lt.py']

pretrained = 'work_dirs/deblora_tiny/vit-tiny-init.pth'
tiny_vit = dict(
    type='VisionTransformer',
    arch=dict(embed_dims=64, num_layers=2, num_heads=2, feedforward_channels=128),
    img_size=32,
    patch_size=8,
    out_type='cls_token',
    init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone'))
model = dict(
    backbone=dict(module=dict(_delete_=True, **tiny_vit), alpha=4, rank=4),
    head=dict(in_channels=64))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = None
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
# A fixed seed and deterministic algorithms (free on the CPU these tiny configs are for): two
# runs give the same figures. run_tiny_pipeline.py --seed overrides the seed.
randomness = dict(seed=0, deterministic=True)
