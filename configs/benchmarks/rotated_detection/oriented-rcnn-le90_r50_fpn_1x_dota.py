# Oriented R-CNN (le90) R-50-FPN on DOTA-v1.0, trained on the 1,024 x 1,024 patches of trainval
# (data/split_ss_dota, written by tools/dataset_converters/dota_split.py): the CNN reference for
# the ViT configs (mmrotate's recipe: SGD lr 0.005, 1x schedule).
_base_ = [
    '../../_base_/models/oriented-rcnn-le90_r50_fpn.py',
    '../../_base_/datasets/dota.py',
    'mmrotate::_base_/schedules/schedule_1x.py',
    'mmrotate::_base_/default_runtime.py',
]

model = dict(roi_head=dict(bbox_head=dict(num_classes=15)))
optim_wrapper = dict(optimizer=dict(lr=0.005))
