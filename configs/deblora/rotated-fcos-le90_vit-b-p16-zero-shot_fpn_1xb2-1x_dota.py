# Table R1 "Zero-Shot": rotated FCOS on DOTA-v1.0 on a frozen pretrained ViT-B/16; only the neck
# and the FCOS head train (the detection counterpart of the linear probe). The debLoRA row's
# stage 4 (rotated-fcos-le90_vit-b-p16-deblora_fpn_1xb2-1x_dota.py) is this config on the
# de-biased backbone.
_base_ = ['./_base_/rotated-fcos-le90_vit-b-p16_fpn_dota.py']

model = dict(
    backbone=dict(
        frozen_stages=12,  # all 12 blocks, patch and position embeddings frozen
        drop_path_rate=0.0))  # our choice: a frozen extractor gives the same features each step
