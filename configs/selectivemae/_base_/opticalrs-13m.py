# OpticalRS-13M (unlabelled): images under one sub-folder per source dataset,
# data/OpticalRS-13M/<source>/<image>, optionally listed in data/OpticalRS-13M/index.txt (set
# index_file='index.txt' to skip the folder walk at start). Pretraining transform: [paper T9] RGB
# input at 224 px; [MAE] random resized crop (scale 0.2-1, bicubic) + horizontal flip, as the
# authors' code.
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)
dataset_type = 'OpticalRS13M'
data_root = 'data/OpticalRS-13M/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    # [paper T9] total batch 1024 = 8 GPUs x 128 ([code] 8 x 256); launch on 8 GPUs, or set
    # --auto-scale-lr with another total (see ./adamw-coslr-800e.py).
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, index_file=None,
                 pipeline=train_pipeline))
