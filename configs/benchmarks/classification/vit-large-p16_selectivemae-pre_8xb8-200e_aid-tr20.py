# Full fine-tuning of the SelectiveMAE ViT-L/16 on AID (30 classes) at a training ratio of 20%.
# Same recipe as the ViT-B config.
_base_ = [
    './vit-base-p16_selectivemae-pre_8xb8-200e_aid-tr20.py',
    '../../_base_/models/vit-l-p16_finetune.py',
]

model = _base_.vit_l_p16_finetune
