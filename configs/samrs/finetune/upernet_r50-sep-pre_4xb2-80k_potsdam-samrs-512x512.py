# SAMRS fine-tuning (paper Sec. 4.2, Table 3): UperNet R-50 initialised from SEP (IMP+SEP) on ISPRS
# Potsdam with the paper's protocol: RGB, 5 classes (clutter ignored), 512 patches with stride
# 320, OA + mF1. Batch 8 (4 GPUs x 2), AdamW lr 1e-4, cosine to 5e-6, 80k iterations.
# Small-sample runs (Table 5): --cfg-options train_dataloader.dataset.ann_file=splits/train_1pct.txt
# (split files from tools/dataset_converters/seg_small_sample_split.py).
_base_ = [
    '../_base_/models/upernet_r50_sep-init.py',
    '../_base_/datasets/potsdam_samrs.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/finetune_r50_adamw-cosine_80k.py',
]
crop_size = (512, 512)  # paper appendix A.6
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=5),
    test_cfg=dict(mode='whole'))
# SEP weights (backbone + UperNet body), written by
#   python tools/model_converters/extract_sep_weights.py \
#       work_dirs/sep-upernet_r50_8xb12-80k_samrs-224x224/iter_80000.pth \
#       checkpoints/sep_upernet_r50.pth
load_from = 'checkpoints/sep_upernet_r50.pth'
