# CPU-sized Zero-Shot row: the tiny linear probe (linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py)
# on the tiny "pretrained" ViT the tiny LoRA / Fine-Tune rows start from, frozen and unadapted.
_base_ = ['./linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py']

# The tiny LoRA config's `pretrained` (written by tools/deblora/run_tiny_pipeline.py).
backbone_checkpoint = 'work_dirs/deblora_tiny/vit-tiny-init.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=backbone_checkpoint)))
