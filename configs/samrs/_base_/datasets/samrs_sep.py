# Multi-source loaders for segmentation pretraining on SOTA + SIOR + FAST at once: every batch
# holds one sub-batch per subset, sized in proportion to the subset sizes
# (ProportionalBatchSampler); validation reports mIoU per subset and their mean.
_base_ = ['./samrs.py']

# The subsets' class lists differ: ConcatDataset keeps the first one's metainfo.
concat_ignore_keys = ['classes', 'palette']
train_dataloader = dict(
    batch_size=12,  # per GPU; 8 GPUs give the paper's batch of 96
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='ProportionalBatchSampler'),
    dataset=dict(type='ConcatDataset', ignore_keys=concat_ignore_keys,
                 datasets=[{{_base_.sota_train}}, {{_base_.sior_train}}, {{_base_.fast_train}}]))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ConcatDataset', ignore_keys=concat_ignore_keys,
                 datasets=[{{_base_.sota_val}}, {{_base_.sior_val}}, {{_base_.fast_val}}]))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='MultiSourceIoUMetric',
    source_classes=dict(sota='SOTADataset', sior='SIORDataset', fast='FASTDataset'),
    iou_metrics=['mIoU'])
test_evaluator = val_evaluator
