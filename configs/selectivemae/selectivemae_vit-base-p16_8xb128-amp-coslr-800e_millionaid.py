# SelectiveMAE ViT-B/16 pretrained on MillionAID (the paper's Table 3 and supplementary
# ablations): the OpticalRS-13M config's recipe unchanged (sources there), only the data root
# (as ./_base_/millionaid.py). tests/test_selectivemae_data_scaling.py checks that the resolved
# config equals the OpticalRS-13M one but for the data root.
_base_ = './selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py'
data_root = 'data/MillionAID/'
train_dataloader = dict(dataset=dict(data_root=data_root))
