# UperNet, SelectiveMAE ViT-B/16 backbone, ISPRS Potsdam (6 classes, boundary ignored), mIoU.
# Paper recipe (Table 9 (iii)): 512 x 512 crops, AdamW 6e-5, wd 0.05, layer decay 0.9,
# drop path 0.1, 80k iterations, total batch 8 (4 GPUs x 2 crops).
_base_ = [
    '../../_base_/models/upernet_vit-b-p16.py',
    '../../_base_/datasets/potsdam.py',
    '../../_base_/schedules/vit_seg_adamw-ld0.9_80k.py',
    'mmseg::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size),
    decode_head=dict(num_classes=6),
    auxiliary_head=dict(num_classes=6),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(batch_size=2)
