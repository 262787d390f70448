# Faster R-CNN + FPN with an ImageNet-1k Swin-T backbone on DIOR: the backbone-swap example of
# docs/add_new_backbone.md. Swin is hierarchical (strides 4..32 natively), so only the backbone,
# the FPN input widths and the optimiser (AdamW, no decay on norms / position tables) change
# from the ResNet-50 reference.
_base_ = './faster-rcnn_r50_fpn_1x_dior.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        convert_weights=True,
        # The official ImageNet-1k Swin-T release (swin_tiny_patch4_window7_224.pth from
        # github.com/SwinTransformer/storage, release v1.0.0), downloaded once by hand.
        init_cfg=dict(type='Pretrained',
                      checkpoint='checkpoints/swin_tiny_patch4_window7_224.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(custom_keys=dict(
        absolute_pos_embed=dict(decay_mult=0.),
        relative_position_bias_table=dict(decay_mult=0.),
        norm=dict(decay_mult=0.))))
