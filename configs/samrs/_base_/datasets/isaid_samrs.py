# iSAID as the SAMRS paper fine-tunes on it (appendix A.6): 896 x 896 patches with stride 512
# (33,620 train / 11,533 val patches; mmseg's converter windows: overlap 384), evaluated on the
# val set (the test labels are not public), only the 15 foreground classes: background ignored
# in training and testing. Prepared by
#   python tools/dataset_converters/isaid.py data/iSAID_raw data/iSAID
# (`--protocol samrs` also writes background as 255; not needed here: the 15-class metainfo maps
# background to 255 through mmseg's label_map for a subset of iSAIDDataset's classes).
# Metric (paper Table 4): mIoU over the 15 classes.
# Augmentation and test pipeline: mmseg's iSAID base (our choice; the paper names none for
# fine-tuning): random rescale x0.5-2, 896 crop, horizontal flip, photometric jitter.
_base_ = 'mmseg::_base_/datasets/isaid.py'
data_root = 'data/iSAID'
# iSAIDDataset's classes less background, in its order.
metainfo = dict(classes=('ship', 'store_tank', 'baseball_diamond', 'tennis_court',
                         'basketball_court', 'Ground_Track_Field', 'Bridge', 'Large_Vehicle',
                         'Small_Vehicle', 'Helicopter', 'Swimming_pool', 'Roundabout',
                         'Soccer_ball_field', 'plane', 'Harbor'))
train_dataloader = dict(
    batch_size=2,  # per GPU: 4 GPUs x 2 = the paper's batch of 8 (Table 7)
    dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
