# Table R1 "debLoRA", stage 4: rotated FCOS on DOTA-v1.0 on the frozen de-biased backbone
# (f_theta with g_phi merged), neck and head trained: the Zero-Shot protocol on the stage-3
# output. Export it first:
#   python tools/model_converters/export_lora_backbone.py \
#       configs/deblora/deblora-fcos_vit-b-p16_1xb2-1x_dota.py \
#       work_dirs/deblora-fcos_vit-b-p16_1xb2-1x_dota/epoch_12.pth \
#       work_dirs/deblora-fcos_vit-b-p16_1xb2-1x_dota/backbone_merged.pth
# (the same export of the stage-1 LoRA detector gives the matching frozen-LoRA comparison).
_base_ = ['./rotated-fcos-le90_vit-b-p16-zero-shot_fpn_1xb2-1x_dota.py']

backbone_checkpoint = 'work_dirs/deblora-fcos_vit-b-p16_1xb2-1x_dota/backbone_merged.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint, prefix='backbone.')))
