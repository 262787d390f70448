# Full fine-tuning of the SelectiveMAE ViT-B/16 on NWPU-RESISC45 (45 classes) at a training ratio of
# 20% (seeded stratified split, the rest for testing), overall accuracy. The TR 10% config with
# the split files of `configs/_base_/datasets/resisc45_tr20.py`.
_base_ = './vit-base-p16_selectivemae-pre_8xb8-200e_resisc45-tr10.py'

train_dataloader = dict(dataset=dict(ann_file='splits/tr20_seed0/train.txt'))
val_dataloader = dict(dataset=dict(ann_file='splits/tr20_seed0/test.txt'))
test_dataloader = dict(dataset=dict(ann_file='splits/tr20_seed0/test.txt'))
