# Full fine-tuning of the SelectiveMAE ViT-B/16 on NWPU-RESISC45 (45 classes) at a training ratio of
# 20% (seeded stratified split, the rest for testing), overall accuracy. Same recipe as the AID
# config; dataset as in `configs/_base_/datasets/resisc45_tr20.py`.
_base_ = './vit-base-p16_selectivemae-pre_8xb8-200e_aid-tr20.py'

data_root = 'data/NWPU-RESISC45/'
num_classes = 45
data_preprocessor = dict(num_classes=num_classes)
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='splits/tr20_seed0/train.txt'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/tr20_seed0/test.txt'))
test_dataloader = dict(dataset=dict(data_root=data_root, ann_file='splits/tr20_seed0/test.txt'))
