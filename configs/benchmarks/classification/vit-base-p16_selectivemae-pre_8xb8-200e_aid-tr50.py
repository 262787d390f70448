# Full fine-tuning of the SelectiveMAE ViT-B/16 on AID (30 classes) at a training ratio of 50%
# (seeded stratified split, the rest for testing), overall accuracy. Same recipe as the TR 20%
# config; only the split files differ (`configs/_base_/datasets/aid_tr50.py`).
_base_ = './vit-base-p16_selectivemae-pre_8xb8-200e_aid-tr20.py'

train_dataloader = dict(dataset=dict(ann_file='splits/tr50_seed0/train.txt'))
val_dataloader = dict(dataset=dict(ann_file='splits/tr50_seed0/test.txt'))
test_dataloader = dict(dataset=dict(ann_file='splits/tr50_seed0/test.txt'))
