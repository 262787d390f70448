# Oriented R-CNN (le90) + FPN, SelectiveMAE ViT-B/16 backbone, DOTA-v1.0 (1,024 px patches of
# trainval; test mAP from the official server). Paper recipe (Table 9 (iv)): 1024 x 1024, AdamW
# 1e-4, wd 0.05, layer decay 0.9, drop path 0.1, 12 epochs (steps 8, 11), total batch 4 (2 GPUs x 2
# images).
_base_ = [
    '../../_base_/models/oriented-rcnn-le90_vit-b-p16_fpn.py',
    '../../_base_/datasets/dota.py',
    '../../_base_/schedules/vit_det_adamw-ld0.9_1x.py',
    'mmrotate::_base_/default_runtime.py',
]

model = dict(
    backbone=dict(img_size=1024),
    roi_head=dict(bbox_head=dict(num_classes=15)))
train_dataloader = dict(batch_size=2)
