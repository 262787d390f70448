# CPU-sized Fine-Tune row matching lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py: the same tiny ViT,
# every weight trained, no LoRA. Probe it with linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py
# and `model.backbone.init_cfg.checkpoint=<this run>/epoch_2.pth`.
_base_ = ['./lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py']

pretrained = 'work_dirs/deblora_tiny/vit-tiny-init.pth'
model = dict(
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch=dict(embed_dims=64, num_layers=2, num_heads=2, feedforward_channels=128),
        img_size=32,
        patch_size=8,
        out_type='cls_token',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone')))
# [ours] The ViT-B rows' fine-tune / LoRA lr ratio (1.25e-4 / 5e-4) applied to the tiny LoRA lr.
optim_wrapper = dict(optimizer=dict(lr=2.5e-4))
