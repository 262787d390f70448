# DOTA-LT crop classification: object crops of DOTA-v1.0 (15 classes, long-tailed), one folder
# per class (ImageFolder layout):  data/dota_lt/{train,val,test}/<class name>/*.png
# `val` is held out from the training crops for model selection; `test` is only for the final
# report (never for selection).
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

dataset_type = 'CustomDataset'
data_root = 'data/dota_lt/'
# In sorted order: CustomDataset labels class folders alphabetically.
classes = ('baseball-diamond', 'basketball-court', 'bridge', 'ground-track-field', 'harbor',
           'helicopter', 'large-vehicle', 'plane', 'roundabout', 'ship', 'small-vehicle',
           'soccer-ball-field', 'storage-tank', 'swimming-pool', 'tennis-court')
# debLoRA's DOTA-LT groups: head = ship, large-vehicle, small-vehicle; tail = helicopter,
# basketball-court, baseball-diamond, roundabout, soccer-ball-field, ground-track-field.
class_groups = dict(
    head=[6, 9, 10], middle=[2, 4, 7, 12, 13, 14], tail=[0, 1, 3, 5, 8, 11])
metainfo = dict(classes=classes, class_groups=class_groups)
img_size = 224

data_preprocessor = dict(
    num_classes=15,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]


train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='train', metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='val', metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='test', metainfo=metainfo,
                 pipeline=test_pipeline))
val_evaluator = [dict(type='LongTailF1'), dict(type='Accuracy', topk=(1, ))]
test_evaluator = val_evaluator
