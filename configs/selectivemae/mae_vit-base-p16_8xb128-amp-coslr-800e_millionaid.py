# Baseline: mmpretrain's MAE ViT-B/16 on MillionAID (the paper's Table 1 first row, Table 3):
# the OpticalRS-13M MAE config's recipe unchanged (sources there), only the data root (as
# ./_base_/millionaid.py).
_base_ = './mae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py'
data_root = 'data/MillionAID/'
train_dataloader = dict(dataset=dict(data_root=data_root))
