# Detection fine-tuning of a plain ViT (paper Table 9 (iv), DIOR / DIOR-R): AdamW lr 1e-4,
# weight decay 0.05, layer-wise lr decay 0.9, linear warm-up over 500 iterations from 1e-6,
# 12 epochs with the lr divided by 10 after epochs 8 and 11; total batch 4.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    # mmrsfm.engine.optimizers: reads the ViT's parameter names under `backbone.` and fails
    # loudly if there are none (no silently undecayed runs).
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=4)
