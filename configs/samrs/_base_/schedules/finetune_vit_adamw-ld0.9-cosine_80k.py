# SAMRS fine-tuning schedule for plain ViT backbones (paper appendix A.2): AdamW, betas
# (0.9, 0.999), 80k iterations at batch 8, cosine decay (Table 7); lr 6e-5, weight decay 0.05,
# minimum lr 0 (Table 8, ViT row, same for pre-training and fine-tuning). Layer-wise lr decay 0.9
# over the 12 blocks: our choice, as the SEP ViT-B config and the benchmark ViT-B configs (the
# paper does not mention it).
_base_ = 'mmseg::_base_/schedules/schedule_80k.py'
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=80000, eta_min=0.0, by_epoch=False, begin=0, end=80000)
]
# The last checkpoint is the reported one (the Potsdam "val" tiles are the test set; picking the
# best on them would select on test data).
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000, max_keep_ckpts=2))
auto_scale_lr = dict(enable=False, base_batch_size=8)
