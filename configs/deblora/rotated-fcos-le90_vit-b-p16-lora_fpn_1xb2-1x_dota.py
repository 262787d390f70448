# Table R1 "LoRA" and debLoRA stage 1: rotated FCOS on DOTA-v1.0 whose ViT-B/16 is adapted by
# mmpretrain's LoRA (rank 16 on every qkv projection); the ViT's own weights stay frozen, the
# LoRA weights, the neck and the head train. Stage 2 clusters this detector's object features:
#   python tools/deblora/cluster_features.py THIS_CONFIG work_dirs/<this run>/epoch_12.pth \
#       --out work_dirs/<this run>/calibration.npz
# (writes calibration_init.pth beside it for deblora-fcos_vit-b-p16_1xb2-1x_dota.py).
_base_ = ['./_base_/rotated-fcos-le90_vit-b-p16_fpn_dota.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.LoRAModel',
        module={{_base_.vit_b}},
        # LoRA settings of our classification stage 1 (lora_vit-b-p16_1xb64-20e_dota-lt.py).
        alpha=16,
        rank=16,
        drop_rate=0.1,
        targets=[dict(type='qkv')]))
