# DOTA-v1.0 (Xia et al., 2018) for mmrotate: 2,806 large aerial images (800-4,000 px), 15
# classes, oriented boxes. Models train on 1,024 x 1,024 patches (overlap 200 px) written by
#   python tools/dataset_converters/dota_split.py data/DOTA data/split_ss_dota
# which gives data/split_ss_dota/{trainval,val,test}/images (+ annfiles for the labelled splits).
# Train on trainval patches, validate on val patches (a sanity check: val is part of trainval);
# the reported mAP comes from the official server on the test set, see `submission_*` below.
dataset_type = 'DOTADataset'  # mmrotate's DOTADataset (mmrotate registry)
data_root = 'data/split_ss_dota/'
angle_version = 'le90'
backend_args = None

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.75, direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='mmdet.PackDetInputs'),
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
    # Annotations after Resize: the metric compares with boxes in original pixels.
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
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
        type=dataset_type,
        data_root=data_root,
        ann_file='trainval/annfiles/',
        data_prefix=dict(img_path='trainval/images/'),
        # The splitter marks objects cut by a patch border (less than 70% of their area
        # inside) with difficulty 2, as the DOTA devkit does; they are ignored in training.
        diff_thr=1,
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val/annfiles/',
        data_prefix=dict(img_path='val/images/'),
        diff_thr=1,
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='DOTAMetric', metric='mAP')
test_evaluator = val_evaluator
# mAP on the full val images, as the DOTA devkit scores them (patches merged back, any
# rates undone). Use it in a leaf config with
#   custom_imports = dict(imports=['mmrsfm.evaluation'], allow_failed_imports=False)
#   val_evaluator = _base_.full_image_evaluator
full_image_evaluator = dict(
    _delete_=True, type='DOTAMergedMetric', ann_dir='data/DOTA/val/labelTxt')

# Test-set submission (the test set has no labels): patch detections are merged back to full
# images (offset, class-wise rotated NMS) and written as Task1_<class>.txt + a zip. Use them in
# a leaf config:
#   test_dataloader = _base_.submission_dataloader
#   test_evaluator = _base_.submission_evaluator
# or dump patch predictions with `tools/test.py ... --out preds.pkl` and run
# tools/dataset_converters/dota_merge.py, which also undoes the scale of multi-scale patches.
submission_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='',  # no annotations: every image under data_prefix.img_path
        data_prefix=dict(img_path='test/images/'),
        test_mode=True,
        pipeline=test_pipeline))
submission_evaluator = dict(
    type='DOTAMetric',
    format_only=True,
    merge_patches=True,
    outfile_prefix='./work_dirs/dota/Task1')
