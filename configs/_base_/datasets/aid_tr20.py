# AID at a training ratio of 20%: train on 20% of each class, test on the rest.
# Split files from `tools/dataset_converters/scene_split.py` (seed 0); another seed: change the
# `splits/tr20_seed0` folder in the three ann_file entries.
_base_ = './aid.py'

train_dataloader = dict(dataset=dict(ann_file='splits/tr20_seed0/train.txt'))
val_dataloader = dict(dataset=dict(ann_file='splits/tr20_seed0/test.txt'))
test_dataloader = dict(dataset=dict(ann_file='splits/tr20_seed0/test.txt'))
