# Mask R-CNN R-50-FPN on SAMRS-SOTA instances (DOTA-v2.0 trainval cut to 1024 x 1024 px,
# 18 classes). Same layout as the SIOR config:
# data/SAMRS/SOTA/{images/*.png, instances_train.json, instances_val.json}. Class order =
# SOTA_CLASSES of mmrsfm/datasets/samrs_metainfo.py (checked by a test).
_base_ = './mask-rcnn_r50_fpn_1x_sior-instances.py'

classes = ('large-vehicle', 'swimming-pool', 'helicopter', 'bridge', 'plane', 'ship',
           'soccer-ball-field', 'basketball-court', 'ground-track-field',
           'small-vehicle', 'baseball-diamond', 'tennis-court', 'roundabout',
           'storage-tank', 'harbor', 'container-crane', 'airport', 'helipad')
metainfo = dict(classes=classes)
data_root = 'data/SAMRS/SOTA/'
image_scale = (1024, 1024)
backend_args = None

model = dict(roi_head=dict(bbox_head=dict(num_classes=len(classes)),
                           mask_head=dict(num_classes=len(classes))))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    dataset=dict(metainfo=metainfo, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(metainfo=metainfo, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'instances_val.json')
test_evaluator = val_evaluator
