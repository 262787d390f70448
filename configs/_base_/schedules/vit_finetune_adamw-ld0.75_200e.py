# Scene-classification fine-tuning of a plain ViT (paper Table 9 (ii), AID / RESISC-45): AdamW,
# base lr 1e-3 per 256 images (MAE convention; 2.5e-4 at the paper's batch of 64), betas
# (0.9, 0.999), weight decay 0.05, layer-wise lr decay 0.75, 5 warm-up epochs then cosine decay,
# 200 epochs. mmpretrain's own layer-decay constructor fits classifiers (they implement
# get_layer_depth); no weight decay on norms, biases (1-D), cls token and position embedding.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3 * 64 / 256, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        norm_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=195, eta_min=1e-6, by_epoch=True, begin=5, end=200,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
