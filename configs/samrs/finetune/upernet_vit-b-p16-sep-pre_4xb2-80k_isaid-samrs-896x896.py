# SAMRS fine-tuning (paper Sec. 4.2, Table 4): UperNet ViT-B/16 initialised from SEP (IMP+SEP) on
# iSAID with the paper's protocol: 15 foreground classes (background ignored), 896 patches with
# stride 512, evaluated on the val set, mIoU. Batch 8 (4 GPUs x 2), AdamW lr 6e-5 (layer decay
# 0.9), cosine to 0, 80k iterations. Small-sample runs (Table 6):
# --cfg-options train_dataloader.dataset.ann_file=splits/train_1pct.txt
_base_ = [
    '../_base_/models/upernet_vit-b-p16_sep-init.py',
    '../_base_/datasets/isaid_samrs.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/finetune_vit_adamw-ld0.9-cosine_80k.py',
]
crop_size = (896, 896)  # paper appendix A.6
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(img_size=crop_size),
    decode_head=dict(num_classes=15),
    test_cfg=dict(mode='whole'))
# SEP weights (backbone + UperNet body), written by
#   python tools/model_converters/extract_sep_weights.py \
#       work_dirs/sep-upernet_vit-b-p16_8xb12-80k_samrs-224x224/iter_80000.pth \
#       checkpoints/sep_upernet_vit-b-p16.pth
load_from = 'checkpoints/sep_upernet_vit-b-p16.pth'
