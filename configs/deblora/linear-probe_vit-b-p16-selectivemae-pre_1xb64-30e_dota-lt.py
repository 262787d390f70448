# Linear probe of a frozen SelectiveMAE-pretrained ViT-B/16 on DOTA-LT crops:
# linear-probe_vit-b-p16_1xb64-30e_dota-lt.py reading the debLoRA run of
# deblora_vit-b-p16-selectivemae-pre_1xb64-10e_dota-lt.py (or the LoRA run's exported backbone,
# or the pretraining checkpoint itself for a Zero-Shot row).
_base_ = ['./linear-probe_vit-b-p16_1xb64-30e_dota-lt.py']

backbone_checkpoint = (
    'work_dirs/deblora_vit-b-p16-selectivemae-pre_1xb64-10e_dota-lt/backbone_merged.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=backbone_checkpoint)))
