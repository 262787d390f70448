# Oriented R-CNN (le90) R-50-FPN on DOTA-v1.0, trained on the 1024 x 1024 patches of train+val
# (data/split_ss_dota/trainval: images/ + annfiles/ written by the DOTA splitting tool).
_base_ = 'mmrotate::oriented_rcnn/oriented-rcnn-le90_r50_fpn_1x_dota.py'

data_root = 'data/split_ss_dota/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
