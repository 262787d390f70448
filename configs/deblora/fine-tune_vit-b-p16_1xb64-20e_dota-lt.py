# Fine-Tune row (slides' Table 2): every backbone weight trains (no LoRA), with a linear head, on
# DOTA-LT crops; then the same linear probe as every row reads the fine-tuned backbone straight
# from this run's checkpoint (`backbone.*` keys, no export needed):
#   python tools/train.py configs/deblora/linear-probe_vit-b-p16_1xb64-30e_dota-lt.py \
#     --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/<this config>/epoch_20.pth
# Data, augmentation, head, schedule length, seed and model selection are the LoRA row's.
_base_ = ['./lora_vit-b-p16_1xb64-20e_dota-lt.py']

pretrained = 'checkpoints/vit-b-p16_pretrain.pth'
model = dict(
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch='b',
        img_size={{_base_.img_size}},
        patch_size=16,
        out_type='cls_token',
        drop_path_rate=0.1,  # as the LoRA row (its ViT's drop path)
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone')))

# [ours] The slides give no fine-tuning recipe. lr = the base lr of MAE's released ViT-B
# fine-tuning command (--blr 5e-4, MAE code) x 64 / 256 (its linear scaling rule) = 1.25e-4,
# lower than LoRA's 5e-4 since every weight moves; no layer-wise decay (a plain full fine-tune).
# Weight decay, betas, clipping, warm-up and cosine schedule are the LoRA row's.
optim_wrapper = dict(optimizer=dict(lr=1.25e-4))
