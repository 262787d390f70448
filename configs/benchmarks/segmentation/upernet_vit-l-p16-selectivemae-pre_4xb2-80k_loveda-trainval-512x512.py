# UperNet, SelectiveMAE ViT-L/16 backbone (blocks [7, 11, 15, 23], activation checkpointing),
# LoveDA with the paper's protocol: train + val for training, the test split written for the
# LoveDA server. Same data and recipe as the ViT-B train + val config; the model is the ViT-L
# train-on-train config's.
_base_ = [
    './upernet_vit-b-p16-selectivemae-pre_4xb2-80k_loveda-trainval-512x512.py',
    '../../_base_/models/vit-l-p16_pyramid.py',
]

model = dict(
    backbone=_base_.vit_l_p16_pyramid,
    decode_head=dict(in_channels=[1024] * 4),
    auxiliary_head=dict(in_channels=1024))
test_evaluator = dict(
    output_dir='work_dirs/upernet_vit-l-p16-selectivemae-pre_4xb2-80k_loveda-trainval-512x512/'
    'submission')
