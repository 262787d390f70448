# Oriented R-CNN (le90) R-50-FPN on DIOR-R oriented boxes; train+val for training, test for eval:
# the CNN reference for the ViT configs (mmrotate's recipe: SGD lr 0.005, 1x schedule).
_base_ = [
    '../../_base_/models/oriented-rcnn-le90_r50_fpn.py',
    '../../_base_/datasets/dior-r.py',
    'mmrotate::_base_/schedules/schedule_1x.py',
    'mmrotate::_base_/default_runtime.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
optim_wrapper = dict(optimizer=dict(lr=0.005))
