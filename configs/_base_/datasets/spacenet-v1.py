# SpaceNet v1 buildings, Rio de Janeiro (Van Etten et al., 2018) for mmseg: 6,940 RGB tiles of
# about 438 x 406 px (0.5 m), 2 classes (background, building). Split at random (seeded) into
# 5,000 training and 1,940 test tiles, as in the benchmark papers, by
#   python tools/dataset_converters/spacenet_v1.py data/SpaceNetV1_raw data/spacenet_v1
# which rasterises the GeoJSON building footprints to masks (0 background, 1 building).
# Reported metrics: mF1 (the benchmark number) and mIoU.
# Layout: data/spacenet_v1/{img_dir,ann_dir}/{train,val}/*.png
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

dataset_type = 'SpaceNetV1Dataset'  # mmrsfm.datasets.SpaceNetV1Dataset (mmseg registry)
data_root = 'data/spacenet_v1'
crop_size = (384, 384)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(384, 384), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(384, 384), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator
