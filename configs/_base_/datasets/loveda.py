# LoveDA (Wang et al., 2021) for mmseg: 5,987 images of 1,024 x 1,024 px (0.3 m), 7 land-cover
# classes; label 0 (no data) is ignored (reduce_zero_label). 512 x 512 training crops; the
# models evaluate by sliding 512 x 512 windows with stride 384 over the full image: a leaf
# config sets
#   model = dict(test_cfg=_base_.slide_test_cfg, data_preprocessor=dict(size=crop_size))
# Layout after mmseg's converter (docs/dataset_preparation.md):
#   data/loveDA/{img_dir,ann_dir}/{train,val,test}/*.png
dataset_type = 'LoveDADataset'
data_root = 'data/loveDA'
crop_size = (512, 512)
slide_test_cfg = dict(mode='slide', crop_size=crop_size, stride=(384, 384))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # LoveDA tiles are 1,024 px already: this keeps their full resolution for slide inference.
    dict(type='Resize', scale=(1024, 1024), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
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

val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
