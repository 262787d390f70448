# Table R1 "Fine-Tune": rotated FCOS on DOTA-v1.0 with the whole pretrained ViT-B/16 trained
# (backbone, neck and head), mmrotate's rotated-fcos schedule. Everything is in the base.
_base_ = ['./_base_/rotated-fcos-le90_vit-b-p16_fpn_dota.py']
