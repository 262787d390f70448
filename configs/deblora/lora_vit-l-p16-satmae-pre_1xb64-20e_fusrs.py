# debLoRA stage 1 for the paper's ORS -> SAR setting (Table 2, "SatMAE -> FUSRS"): LoRA adaptation
# of SatMAE's fMoW-RGB ViT-L/16 to SAR chips (_base_/fusrs_sar.py: grayscale read as 3 equal
# channels). Convert SatMAE's release first:
#   python tools/model_converters/satmae_to_mmpretrain.py fmow_pretrain.pth \
#       checkpoints/satmae_vit-l-p16_fmow-pretrain.pth
# The schedule is that of lora_vit-b-p16_1xb64-20e_dota-lt.py (our choice there), so the rows of
# both settings come from one recipe.
_base_ = ['./_base_/fusrs_sar.py', 'mmpretrain::_base_/default_runtime.py']

# SatMAE's pretraining checkpoint (the debLoRA authors' code builds SatMAE's MAE model and keeps
# its encoder: models/satmae_vit.py, MAEViTAdapter).
pretrained = 'checkpoints/satmae_vit-l-p16_fmow-pretrain.pth'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='LoRAModel',
        module=dict(
            type='VisionTransformer',
            # SatMAE's vit_large_patch16: width 1024, 24 blocks, 16 heads, LayerNorm eps 1e-6
            # (mmpretrain's default); input 224 px (SatMAE and the authors' code).
            arch='l',
            img_size={{_base_.img_size}},
            patch_size=16,
            # The cls token after the final norm: the authors' MAEViTAdapter returns the
            # normed tokens and takes the cls token.
            out_type='cls_token',
            # As the ViT-B config (our choice); SatMAE fine-tunes ViT-L with 0.2.
            drop_path_rate=0.1,
            init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone')),
        # Rank / alpha / dropout on qkv: as lora_vit-b-p16_1xb64-20e_dota-lt.py (our choice).
        alpha=16,
        rank=16,
        drop_rate=0.1,
        targets=[dict(type='qkv')]),
    head=dict(
        type='LinearClsHead',
        num_classes={{_base_.num_classes}},
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# As the ViT-B config (our choice): AdamW 5e-4 for batch 64, weight decay 0.05, clipping 5,
# 2 warm-up epochs then cosine to epoch 20. The authors' code (configs/model/
# satmae_vit_l16_128.yaml) trains its classifier with SGD, lr 1e-3, momentum 0.9, weight decay
# 5e-4, batch 128, 10 epochs and a logit-adjusted loss.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=18, by_epoch=True, begin=2, end=20, eta_min=1e-6),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# Model selection on the held-out val split only.
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='long-tail/macro_f1', rule='greater'))
auto_scale_lr = dict(base_batch_size=64)
# A fixed seed, as the DOTA-LT configs: a rerun draws the same LoRA init and data order.
randomness = dict(seed=0, deterministic=False)
