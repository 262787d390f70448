# CPU-sized SelectiveMAE (a couple of minutes): 2-layer ViT, 8 px patches on 32 px crops,
# 2-block decoder, no mixed precision; same algorithm, selector and PSTS hook.
_base_ = './selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py'

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
# [ours] fp32 (no CUDA), a larger lr and clipping for a 2-epoch run of a tiny model; the paper
# recipe's weight-decay rule (no decay on norm / 1-D parameters and tokens) is inherited.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}})
param_scheduler = None
# --auto-scale-lr relative to this config's own batch (its lr is meant for 8).
auto_scale_lr = dict(base_batch_size=8)
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
