# debLoRA stage 1 for the paper's natural -> ORS setting with OpenCLIP (Table 2, "OpenCLIP ->
# DOTA"): LoRA on CLIP's ViT-B/16 image tower, DOTA-LT crops. Convert the open_clip weights:
#   python tools/model_converters/openclip_to_mmpretrain.py open_clip_pytorch_model.bin \
#       checkpoints/openclip_vit-b-p16.pth
# Everything else (data, LoRA, schedule) is lora_vit-b-p16_1xb64-20e_dota-lt.py's.
_base_ = ['./lora_vit-b-p16_1xb64-20e_dota-lt.py']

pretrained = 'checkpoints/openclip_vit-b-p16.pth'
model = dict(
    backbone=dict(
        module=dict(
            # CLIP's image tower as mmpretrain's ViT (arch 'b', patch 16, 224 px from the base):
            # ln_pre after the position embedding and no patch-embedding bias (pre_norm), its
            # nn.LayerNorm eps 1e-5 (mmpretrain's default is 1e-6), and open_clip ViT-B-16's
            # nn.GELU. OpenAI's weights (the debLoRA authors' code names its backbone
            # CLIP-ViT-B/16 and ships OpenAI's clip package) and open_clip's *-quickgelu models
            # need QuickGELU:
            # --cfg-options model.backbone.module.layer_cfgs.act_cfg.type=mmpretrain.QuickGELU
            pre_norm=True,
            norm_cfg=dict(type='LN', eps=1e-5),
            layer_cfgs=dict(act_cfg=dict(type='GELU')),
            # The cls token after ln_post, before CLIP's 512-d projection (left out).
            out_type='cls_token',
            init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone'))))
# CLIP's pixel statistics (open_clip OPENAI_DATASET_MEAN / STD, used by its ViT-B-16 weights), in
# 0-255 units.
data_preprocessor = dict(
    mean=[0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255],
    std=[0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255])
