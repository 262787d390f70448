# Faster R-CNN R-50-FPN on DIOR horizontal boxes, trained on train+val, evaluated on test (mAP50).
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['mmrsfm.datasets'], allow_failed_imports=False)

model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))

dataset_type = 'DIORDataset'
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
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(type=dataset_type, data_root=data_root, ann_file=f'ImageSets/Main/{split}.txt',
                 filter_cfg=dict(filter_empty_gt=True, min_size=2), pipeline=train_pipeline,
                 backend_args=backend_args) for split in ('train', 'val')
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Main/test.txt',
        img_subdir='JPEGImages-test',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
# DIOR reports VOC-style mAP at IoU 0.5 with the area (all-points) AP.
val_evaluator = dict(_delete_=True, type='VOCMetric', metric='mAP', iou_thrs=[0.5], eval_mode='area')
test_evaluator = val_evaluator
auto_scale_lr = dict(enable=False, base_batch_size=16)
