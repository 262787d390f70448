# ViT-B/16 classifier for full fine-tuning (MAE recipe): average-pooled patch tokens
# (out_type='avg_featmap', with its own LayerNorm ln2), linear head with label smoothing 0.1,
# Mixup 0.8 / CutMix 1.0 batch augments, drop path 0.1. Leaf configs set num_classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='base',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        norm_cfg=dict(type='LN', eps=1e-6),
        out_type='avg_featmap',
        final_norm=False,
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='checkpoints/selectivemae_vit-base-p16_backbone.pth')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))
