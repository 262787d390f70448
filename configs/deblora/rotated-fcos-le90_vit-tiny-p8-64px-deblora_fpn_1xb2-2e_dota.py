# CPU-sized debLoRA detection stage 4 matching
# rotated-fcos-le90_vit-tiny-p8-64px-lora_fpn_1xb2-2e_dota.py: the frozen exported debLoRA
# backbone, neck and head trained.
_base_ = ['./rotated-fcos-le90_vit-tiny-p8-64px-lora_fpn_1xb2-2e_dota.py']

backbone_checkpoint = 'work_dirs/deblora_fcos_tiny/backbone_debLoRA.pth'
model = dict(
    backbone=dict(
        _base_.tiny_vit,
        _delete_=True,
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint, prefix='backbone.')))
