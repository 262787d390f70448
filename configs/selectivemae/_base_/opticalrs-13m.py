# OpticalRS-13M (unlabelled): images under one sub-folder per source dataset,
# data/OpticalRS-13M/<source>/<image>, optionally listed in data/OpticalRS-13M/index.txt (set
# index_file='index.txt' to skip the folder walk at start). Pretraining transform of the paper.
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
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, index_file=None,
                 pipeline=train_pipeline))
