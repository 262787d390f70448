# DIOR-R oriented boxes (Cheng et al., 2022) for mmrotate: the DIOR images with <robndbox>
# annotations, 20 classes. Train on train+val, evaluate on test with the DOTA-style mAP50.
# Boxes are read as quadrilaterals and converted to le90 rotated boxes (the angle version of
# the Oriented R-CNN models that use this base).
# Layout (as released; see docs/dataset_preparation.md): data/DIOR/{JPEGImages-trainval,
# JPEGImages-test, Annotations/Oriented Bounding Boxes, ImageSets/Main/{train,val,test}.txt}.
dataset_type = 'DIORDataset'  # mmrotate's DIORDataset (mmrotate registry)
data_root = 'data/DIOR/'
angle_version = 'le90'
backend_args = None

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=(800, 800), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.75, direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='mmdet.PackDetInputs'),
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(800, 800), keep_ratio=True),
    # Annotations after Resize: the metric compares with boxes in original pixels.
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type='ConcatDataset',
        ignore_keys=['DATASET_TYPE'],
        datasets=[
            dict(type=dataset_type, data_root=data_root, ann_file=f'ImageSets/Main/{split}.txt',
                 data_prefix=dict(img_path='JPEGImages-trainval'),
                 filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline,
                 backend_args=backend_args) for split in ('train', 'val')
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Main/test.txt',
        data_prefix=dict(img_path='JPEGImages-test'),
        test_mode=True,
        pipeline=val_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# DOTA-style mAP50 (VOC07 11-point AP per class, as mmrotate's DOTAMetric defaults).
val_evaluator = dict(type='DOTAMetric', metric='mAP')
test_evaluator = val_evaluator
