# ISPRS Potsdam as the SAMRS paper fine-tunes on it (appendix A.6): RGB only, 512 x 512 patches
# with stride 320 (8,664 train / 5,054 test patches from the 24 / 14 tiles of mmseg's converter),
# 5 classes: clutter ignored in training and testing, boundary (label 0) ignored as in mmseg.
# Prepared by
#   python tools/dataset_converters/potsdam.py data/Potsdam_raw data/potsdam_samrs --protocol samrs
# which writes clutter as 255. The 5-class metainfo also maps clutter to 255 (mmseg's label_map
# for a subset of PotsdamDataset's classes), so patches of `--protocol mmseg` work too.
# Metrics (paper Table 3): OA = mmseg's aAcc (correct / labelled, non-ignored pixels) and
# mF1 = mFscore (mean of the per-class F1 over the 5 classes).
# Augmentation and test pipeline: mmseg's Potsdam base (our choice; the paper names none for
# fine-tuning): random rescale x0.5-2, 512 crop, horizontal flip, photometric jitter.
_base_ = 'mmseg::_base_/datasets/potsdam.py'
data_root = 'data/potsdam_samrs'
# PotsdamDataset's classes less clutter, in its order.
metainfo = dict(classes=('impervious_surface', 'building', 'low_vegetation', 'tree', 'car'))
train_dataloader = dict(
    batch_size=2,  # per GPU: 4 GPUs x 2 = the paper's batch of 8 (Table 7)
    dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator
