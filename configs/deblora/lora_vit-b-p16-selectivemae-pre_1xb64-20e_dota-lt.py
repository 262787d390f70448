# debLoRA stage 1 on our SelectiveMAE-pretrained ViT-B/16 (configs/selectivemae/, OpticalRS-13M,
# 800 epochs), DOTA-LT crops: an ORS -> ORS transfer that the paper does not run. Weights: the
# checkpoint of our pretraining run (its `backbone.*` keys are an mmpretrain ViT-B/16), or the
# authors' timm-style release converted with
#   python tools/model_converters/selectivemae_to_mmpretrain.py SRC.pth \
#       checkpoints/selectivemae_vit-b-p16_backbone.pth --backbone-only
# Everything else (data, LoRA, schedule, ImageNet pixel statistics, which the pretraining config
# uses too) is lora_vit-b-p16_1xb64-20e_dota-lt.py's.
_base_ = ['./lora_vit-b-p16_1xb64-20e_dota-lt.py']

pretrained = ('work_dirs/selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        module=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone'))))
