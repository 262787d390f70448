# AID scene classification (Xia et al., 2017): 10,000 RGB images of 600 x 600 px, 30 classes.
# Layout: data/AID/<Class>/<class>_<n>.jpg plus mmpretrain CustomDataset split files
# (`<relative path> <label>` per line). `train.txt` / `val.txt` under data_root are used as they
# are; the benchmark training ratios come from the seeded stratified split tool
#   python tools/dataset_converters/scene_split.py data/AID --ratios 20 50
# (writes data/AID/splits/tr20_seed0/{train,test}.txt, ...), selected by the bases
# aid_tr20.py / aid_tr50.py.
dataset_type = 'CustomDataset'
data_root = 'data/AID/'
num_classes = 30

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
# Overall accuracy (top-1), as reported for AID / RESISC-45.
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
