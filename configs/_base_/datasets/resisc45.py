# NWPU-RESISC45 scene classification (Cheng et al., 2017): 31,500 RGB images of 256 x 256 px,
# 45 classes of 700 images. Layout: data/NWPU-RESISC45/<class>/<class>_<nnn>.jpg plus mmpretrain
# CustomDataset split files (`<relative path> <label>` per line). `train.txt` / `val.txt` under
# data_root are used as they are; the benchmark training ratios come from
#   python tools/dataset_converters/scene_split.py data/NWPU-RESISC45 --ratios 10 20
# (writes data/NWPU-RESISC45/splits/tr10_seed0/{train,test}.txt, ...), selected by the bases
# resisc45_tr10.py / resisc45_tr20.py.
dataset_type = 'CustomDataset'
data_root = 'data/NWPU-RESISC45/'
num_classes = 45

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        data_prefix='',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val.txt',
        data_prefix='',
        pipeline=test_pipeline))
# Overall accuracy (top-1), as reported for RESISC-45.
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
