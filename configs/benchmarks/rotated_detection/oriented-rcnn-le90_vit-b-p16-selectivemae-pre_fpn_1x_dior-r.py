# Oriented R-CNN (le90) + FPN, SelectiveMAE ViT-B/16 backbone, DIOR-R oriented boxes (train+val ->
# test, DOTA-style mAP50). Paper recipe (Table 9 (iv)): 800 x 800, AdamW 1e-4, wd 0.05, layer decay
# 0.9, drop path 0.1, 12 epochs (steps 8, 11), total batch 4 (2 GPUs x 2 images).
_base_ = [
    '../../_base_/models/oriented-rcnn-le90_vit-b-p16_fpn.py',
    '../../_base_/datasets/dior-r.py',
    '../../_base_/schedules/vit_det_adamw-ld0.9_1x.py',
    'mmrotate::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

model = dict(
    backbone=dict(img_size=800),
    roi_head=dict(bbox_head=dict(num_classes=20)))
train_dataloader = dict(batch_size=2)
