# debLoRA stage 3 on OpenCLIP ViT-B/16 -> DOTA-LT: deblora_vit-b-p16_1xb64-10e_dota-lt.py with
# the CLIP image tower of lora_vit-b-p16-openclip-pre_1xb64-20e_dota-lt.py (same settings and
# pixel statistics; see there) and that run's stage-2 output.
_base_ = ['./deblora_vit-b-p16_1xb64-10e_dota-lt.py']

stage1_dir = 'work_dirs/lora_vit-b-p16-openclip-pre_1xb64-20e_dota-lt'
model = dict(
    backbone=dict(
        module=dict(
            pre_norm=True,
            norm_cfg=dict(type='LN', eps=1e-5),
            layer_cfgs=dict(act_cfg=dict(type='GELU')))),
    init_cfg=dict(checkpoint=stage1_dir + '/calibration_init.pth'))
data_preprocessor = dict(
    mean=[0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255],
    std=[0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255])
