# debLoRA stage 3 on the SelectiveMAE-pretrained ViT-B/16: deblora_vit-b-p16_1xb64-10e_dota-lt.py
# with the stage-2 output of lora_vit-b-p16-selectivemae-pre_1xb64-20e_dota-lt.py (the backbone
# architecture is the same plain ViT-B/16).
_base_ = ['./deblora_vit-b-p16_1xb64-10e_dota-lt.py']

stage1_dir = 'work_dirs/lora_vit-b-p16-selectivemae-pre_1xb64-20e_dota-lt'
model = dict(init_cfg=dict(checkpoint=stage1_dir + '/calibration_init.pth'))
