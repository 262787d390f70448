# DOTA-v1.0, multi-scale: patches of 1,024 px (overlap 500 px) cut from the images resized by
# 0.5, 1.0 and 1.5, written by
#   python tools/dataset_converters/dota_split.py data/DOTA data/split_ms_dota \
#       --rates 0.5 1.0 1.5 --gap 500
# Training adds random rotation (rectangular classes storage-tank and roundabout rotate
# by multiples of 90 degrees only, as in mmrotate's multi-scale recipe). Merging multi-scale
# patch detections needs tools/dataset_converters/dota_merge.py (it rescales by the patch's
# rate; mmrotate's DOTAMetric merge_patches only adds the offset).
_base_ = './dota.py'

data_root = 'data/split_ms_dota/'
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=None),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.75, direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='RandomRotate', prob=0.5, angle_range=180, rect_obj_labels=[9, 11]),
    dict(type='mmdet.PackDetInputs'),
]
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
submission_dataloader = dict(dataset=dict(data_root=data_root))
