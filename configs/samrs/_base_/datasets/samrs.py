# SAMRS subsets (SOTA 18, SIOR 20, FAST 37 classes; label 255 = no object, ignored) as dataset
# dicts for the SAMRS configs: `sota_train`, `sota_val`, `sior_train`, ... Split files come from
# tools/dataset_converters/samrs_split.py (seeded 95/5; the authors never released theirs).
# Augmentation as in the SAMRS pretraining (paper Sec. 3.1): random rescale (x0.5-2, half of the
# time), 224 crop, horizontal/vertical flips, 90-degree rotation, photometric jitter and random
# gamma. Validation on 512 x 512 centre crops (paper appendix A.5).
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

samrs_root = 'data/SAMRS'
crop_size = (224, 224)
# mmseg's PackSegInputs defaults plus `source`, which routes a sample to its subset's head.
samrs_meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                   'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label', 'source')


def _train_pipeline(scale):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='RandomApply', prob=0.5, transforms=[
            dict(type='RandomResize', scale=scale, ratio_range=(0.5, 2.0), keep_ratio=True)]),
        dict(type='RandomCrop', crop_size=crop_size),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandomFlip', prob=0.5, direction='vertical'),
        dict(type='RandomRotate', prob=0.5, degree=(90, 90), pad_val=0, seg_pad_val=255),
        dict(type='PhotoMetricDistortion'),
        # "gamma transformation" (paper Sec. 3.1); the range is albumentations' RandomGamma
        # default (0.8-1.2), which the authors' albumentations pipeline used (paper gives none).
        dict(type='RandomGamma', gamma_range=(0.8, 1.2), prob=0.5),
        dict(type='PackSegInputs', meta_keys=samrs_meta_keys),
    ]


# Paper appendix A.5: validation on the 512 x 512 centre crop of every validation image; the
# crop is the evaluated image (ori_shape = crop). No SAMRS tile is smaller (SOTA 1024, SIOR 800,
# FAST 600); an image smaller than 512 along a side would be evaluated whole along that side.
val_crop_size = (512, 512)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CenterCropAsInput', crop_size=val_crop_size),
    dict(type='PackSegInputs', meta_keys=samrs_meta_keys),
]

# Native tile sizes: SOTA 1024 (DOTA-v2.0 cut), SIOR 800 (DIOR), FAST 600 (FAIR1M-2.0 cut to
# 600 px tiles, paper Sec. 2.4; the authors' file paths say 1024; the instance config uses 600).
sota_train = dict(type='SOTADataset', data_root=samrs_root + '/SOTA', ann_file='train.txt',
                  pipeline=_train_pipeline((1024, 1024)))
sior_train = dict(type='SIORDataset', data_root=samrs_root + '/SIOR', ann_file='train.txt',
                  pipeline=_train_pipeline((800, 800)))
fast_train = dict(type='FASTDataset', data_root=samrs_root + '/FAST', ann_file='train.txt',
                  pipeline=_train_pipeline((600, 600)))
sota_val = dict(type='SOTADataset', data_root=samrs_root + '/SOTA', ann_file='val.txt',
                pipeline=test_pipeline)
sior_val = dict(type='SIORDataset', data_root=samrs_root + '/SIOR', ann_file='val.txt',
                pipeline=test_pipeline)
fast_val = dict(type='FASTDataset', data_root=samrs_root + '/FAST', ann_file='val.txt',
                pipeline=test_pipeline)
