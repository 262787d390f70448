# SAR chip classification in ImageFolder layout: FUSRS, the debLoRA paper's ORS -> SAR target
# (Table 2, "SatMAE -> FUSRS", head / tail macro-F1), or any other single-channel SAR set:
#
#   data/FUSRS/{train,val,test}/<class name>/*.png      (8-bit grayscale; any format mmcv reads)
#
# One folder per class, the same class folders in every split; CustomDataset numbers the classes
# in sorted folder-name order. `val` is for model selection (hold it out of the training chips),
# `test` only for the final report. FUSRS is not downloaded by this repository: the authors'
# code reads it from `./data/fusrs` (configs/data/fusrs.yaml) with five classes, cargo, other,
# fishing, tanker and dredger (datasets/FUSRS/classnames.txt), listed in train.txt / test.txt
# files; put your copy, or another SAR chip set, in the layout above (symlinks are fine).
#
# Single channel: LoadImageFromFile's color_type='color' (cv2.IMREAD_COLOR) reads a grayscale
# chip as three identical channels, as the authors' loader does (PIL .convert('RGB')), so the
# optical RGB patch embedding is used unchanged. 16-bit or float chips are not rescaled: convert
# them to 8-bit images first.
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

dataset_type = 'CustomDataset'
data_root = 'data/FUSRS/'
# The authors' FUSRS class count (datasets/FUSRS/classnames.txt); set it for another dataset.
num_classes = 5
# Head / tail groups: the authors do not publish FUSRS's split (Table 2 reports head and tail
# F1), so none is assumed. The datasets' metainfo holds no `class_groups`, so the debLoRA
# clustering step (tools/deblora/cluster_features.py) picks tail classes by imbalance ratio
# (> 10, or --head-min / --tail-max), and LongTailF1 gets empty groups: overall macro-F1 only.
# Once the training counts are known, give `metainfo=dict(class_groups=dict(head=[...],
# tail=[...]))` (sorted-folder indices) to the train / val / test datasets and drop `groups`
# from the LongTailF1 evaluators (they then read the metainfo).
metainfo = dict()
# The authors' code: resolution 224 (configs/model/satmae_vit_l16_*.yaml).
img_size = 224

# SatMAE's fMoW-RGB pixel statistics (SatMAE util/datasets.py, CustomDatasetFromImages), the
# normalisation its weights were trained with, in 0-255 units.
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[0.4182007312774658 * 255, 0.4214799106121063 * 255, 0.3991275727748871 * 255],
    std=[0.28774282336235046 * 255, 0.27541765570640564 * 255, 0.2764017581939697 * 255],
    to_rgb=True)
# Augmentation as for DOTA-LT (_base_/dota-lt_crops.py, our choice there): random resized crop
# (scale 0.5-1) and horizontal / vertical flips (chips have no canonical orientation).
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]

# Batch 64 and 4 workers as the DOTA-LT configs (our choice; the authors' code: batch 128).
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
val_evaluator = [dict(type='LongTailF1', groups=dict()), dict(type='Accuracy', topk=(1, ))]
test_evaluator = val_evaluator
