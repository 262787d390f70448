# Mask R-CNN R-50-FPN on SAMRS-SIOR instances (SAM masks of DIOR's objects, 800 x 800 px, 20
# classes), read by mmdet's CocoDataset from the COCO JSON that
# tools/dataset_converters/samrs_pkl_to_coco.py (the authors' pickles) or
# tools/samrs/generate_labels.py (labels you generate) writes. Layout:
#   data/SAMRS/SIOR/images/*.jpg
#   data/SAMRS/SIOR/instances_train.json, instances_val.json   (95/5 split, see README.md)
# Category order = SIOR_CLASSES of mmrsfm/datasets/samrs_metainfo.py (checked by a test);
# category_id = label PNG value + 1.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

classes = ('airplane', 'airport', 'baseballfield', 'basketballcourt', 'bridge', 'chimney',
           'expressway-service-area', 'expressway-toll-station', 'dam', 'golffield',
           'groundtrackfield', 'harbor', 'overpass', 'ship', 'stadium', 'storagetank',
           'tenniscourt', 'trainstation', 'vehicle', 'windmill')
metainfo = dict(classes=classes)
data_root = 'data/SAMRS/SIOR/'
image_scale = (800, 800)
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
    batch_size=2,
    num_workers=2,
    dataset=dict(
        type='CocoDataset',
        metainfo=metainfo,
        data_root=data_root,
        ann_file='instances_train.json',
        data_prefix=dict(img='images/'),
        # Images without objects (all-255 labels) carry nothing to learn for a detector.
        filter_cfg=dict(filter_empty_gt=True, min_size=2),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(
        type='CocoDataset',
        metainfo=metainfo,
        data_root=data_root,
        ann_file='instances_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'instances_val.json',
                     metric=['bbox', 'segm'], format_only=False, backend_args=backend_args)
test_evaluator = val_evaluator
auto_scale_lr = dict(enable=False, base_batch_size=16)
