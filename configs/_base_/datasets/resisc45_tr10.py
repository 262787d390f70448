# NWPU-RESISC45 at a training ratio of 10%: train on 10% of each class, test on the rest.
# Split files from `tools/dataset_converters/scene_split.py` (seed 0); another seed: change the
# `splits/tr10_seed0` folder in the three ann_file entries.
_base_ = './resisc45.py'

train_dataloader = dict(dataset=dict(ann_file='splits/tr10_seed0/train.txt'))
val_dataloader = dict(dataset=dict(ann_file='splits/tr10_seed0/test.txt'))
test_dataloader = dict(dataset=dict(ann_file='splits/tr10_seed0/test.txt'))
