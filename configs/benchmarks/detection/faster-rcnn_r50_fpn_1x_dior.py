# Faster R-CNN R-50-FPN on DIOR horizontal boxes, trained on train+val, evaluated on test (mAP50):
# the CNN reference for the ViT configs (mmdet's 1x SGD schedule, total batch 16).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../../_base_/datasets/dior.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
auto_scale_lr = dict(enable=False, base_batch_size=16)
