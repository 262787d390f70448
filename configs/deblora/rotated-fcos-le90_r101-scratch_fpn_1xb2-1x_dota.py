# Table R1 "From-Scratch": rotated FCOS on DOTA-v1.0 with a ResNet-101 feature extractor and the
# head both trained from random initialisation (the slides' row 1 uses ResNet-101; use
# `--cfg-options model.backbone.depth=50` for a ResNet-50). Detector and schedule: mmrotate's
# rotated-fcos-le90_r50_fpn_1x_dota.py, but for what training from scratch changes.
_base_ = ['./_base_/rotated-fcos-le90_vit-b-p16_fpn_dota.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmdet.ResNet',
        depth=101,  # slides Table R1, From-Scratch row
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        # Our choice: from scratch nothing is frozen and the BN statistics are learnt (mmrotate
        # freezes the stem and stage 1 and keeps ImageNet BN statistics, norm_eval=True);
        # SyncBN since each GPU holds 2 images (plain BN on a single process).
        frozen_stages=-1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),  # from scratch: no ImageNet weights
    neck=dict(  # mmrotate's rotated-fcos FPN
        _delete_=True,
        type='mmdet.FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_output',
        num_outs=5,
        relu_before_extra_convs=True))
