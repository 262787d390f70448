# DIOR horizontal boxes (Li et al., 2020) for mmdet: 23,463 images of 800 x 800 px, 20 classes.
# Train on train+val, evaluate on test with VOC mAP at IoU 0.5 (area under the PR curve).
# Layout (as released; see docs/dataset_preparation.md): data/DIOR/{JPEGImages-trainval,
# JPEGImages-test, Annotations/Horizontal Bounding Boxes, ImageSets/Main/{train,val,test}.txt}.
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

dataset_type = 'DIORDataset'  # mmrsfm.datasets.DIORDataset (mmdet registry)
data_root = 'data/DIOR/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    # Annotations after Resize: the metric compares with boxes in original pixels.
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(type=dataset_type, data_root=data_root, ann_file=f'ImageSets/Main/{split}.txt',
                 img_subdir='JPEGImages-trainval',
                 filter_cfg=dict(filter_empty_gt=True, min_size=2), pipeline=train_pipeline,
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
        img_subdir='JPEGImages-test',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# DIOR reports VOC-style mAP at IoU 0.5 with the area (all-points) AP.
val_evaluator = dict(type='VOCMetric', metric='mAP', iou_thrs=[0.5], eval_mode='area')
test_evaluator = val_evaluator
