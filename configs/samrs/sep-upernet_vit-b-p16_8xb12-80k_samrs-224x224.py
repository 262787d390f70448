# SAMRS segmentation pretraining (SEP): UperNet on a plain ViT-B/16 (mmrsfm ViTPyramid: mmpretrain
# ViT + mmseg Feature2Pyramid), trained on SOTA + SIOR + FAST at once with one 1x1 classifier per
# subset (18 / 20 / 37 classes). Batch 96 (8 GPUs x 12) of proportional per-subset sub-batches;
# loss = sum of per-subset cross-entropies (255 ignored). AdamW 6e-5 with layer-wise lr decay 0.9
# over the 12 blocks (block i gets 0.9 ** (12 - i), the embeddings 0.9 ** 13; the authors' decay
# never applied because of a parameter-name prefix mismatch), cosine to 0, 80k iterations.
# Backbone initialised from mmpretrain's supervised ImageNet-1k ViT-B/16 (IMP+SEP in the paper);
# any mmpretrain-named ViT-B checkpoint works (MAE, SelectiveMAE via
# tools/model_converters/selectivemae_to_mmpretrain.py).
_base_ = [
    './_base_/datasets/samrs_sep.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
crop_size = (224, 224)
norm_cfg = dict(type='SyncBN', requires_grad=True)
imp_checkpoint = ('https://download.openmmlab.com/mmclassification/v0/vit/'
                  'vit-base-p16_pt-32xb128-mae_in1k_20220623-4c544545.pth')
model = dict(
    type='MultiHeadEncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=crop_size),
    backbone=dict(
        type='ViTPyramid',
        arch='base',
        img_size=crop_size[0],
        patch_size=16,
        drop_path_rate=0.1,
        pyramid_norm_cfg=norm_cfg,
        init_cfg=dict(type='Pretrained', checkpoint=imp_checkpoint, prefix='backbone.')),
    decode_head=dict(
        type='MultiSourceUPerHead',
        source_classes=dict(sota=18, sior=20, fast=37),
        in_channels=[768, 768, 768, 768],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.05),
    # Layer-wise lr decay over the 12 ViT blocks (mmrsfm's constructor, shared with the benchmark
    # configs): lr = base_lr * 0.9 ** (13 - layer_id); no weight decay on norms, biases, cls token
    # and position embedding. It refuses to run if no 'backbone.layers.<i>' parameter exists.
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=80000, eta_min=0.0, by_epoch=False, begin=0, end=80000)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=96)
