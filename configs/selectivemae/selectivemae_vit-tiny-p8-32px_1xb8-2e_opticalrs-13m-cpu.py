# CPU-sized SelectiveMAE (a couple of minutes): 2-layer ViT, 8 px patches on 32 px crops,
# 2-block decoder, no mixed precision; same algorithm, selector and PSTS hook.
_base_ = './selectivemae_vit-base-p16_8xb256-amp-coslr-800e_opticalrs-13m.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SelectiveMAEViT',
        arch=dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128),
        img_size=32,
        patch_size=8),
    neck=dict(num_patches=16, patch_size=8, embed_dim=64, decoder_embed_dim=32, decoder_depth=2,
              decoder_num_heads=4),
    head=dict(patch_size=8),
    token_selector=dict(patch_size=8))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
    clip_grad=dict(max_norm=1.0))
param_scheduler = None
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
