# Linear probe of a frozen OpenCLIP ViT-B/16 on DOTA-LT crops: linear-probe_vit-b-p16_1xb64-30e_
# dota-lt.py with the CLIP image tower of lora_vit-b-p16-openclip-pre_1xb64-20e_dota-lt.py (same
# settings and pixel statistics; see there). `backbone_checkpoint`: the exported LoRA / debLoRA
# backbone, or the converted open_clip weights themselves for the paper's Zero-Shot row.
_base_ = ['./linear-probe_vit-b-p16_1xb64-30e_dota-lt.py']

backbone_checkpoint = (
    'work_dirs/deblora_vit-b-p16-openclip-pre_1xb64-10e_dota-lt/backbone_merged.pth')
model = dict(
    backbone=dict(
        pre_norm=True,
        norm_cfg=dict(type='LN', eps=1e-5),
        layer_cfgs=dict(act_cfg=dict(type='GELU')),
        init_cfg=dict(checkpoint=backbone_checkpoint)))
data_preprocessor = dict(
    mean=[0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255],
    std=[0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255])
