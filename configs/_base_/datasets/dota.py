# DOTA-v1.0 (Xia et al., 2018) for mmrotate: 2,806 large aerial images (800-4,000 px), 15
# classes, oriented boxes. Models train on 1,024 x 1,024 patches (overlap 200 px) written by
#   python tools/dataset_converters/dota_split.py data/DOTA data/split_ss_dota
# which gives data/split_ss_dota/{trainval,val,test}/images (+ annfiles for the labelled splits).
# Train on trainval patches, validate on val patches (a sanity check: val is part of trainval);
# the reported mAP comes from the official server on the test set, see `submission_*` below.
# mmrotate's DOTA-v1.0 base (pipelines, loaders, DOTAMetric) with validation on the val patches
# and the devkit's difficulty rule; the full-image metric, through DOTAMergedMetric, is mmrsfm's.
_base_ = 'mmrotate::_base_/datasets/dota.py'
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

angle_version = 'le90'
# The splitter marks objects cut by a patch border (less than 70% of their area inside) with
# difficulty 2, as the DOTA devkit does; they are ignored in training.
train_dataloader = dict(dataset=dict(diff_thr=1))
val_dataloader = dict(
    dataset=dict(ann_file='val/annfiles/', data_prefix=dict(img_path='val/images/'), diff_thr=1))
test_dataloader = val_dataloader

# mAP on the full val images, as the DOTA devkit scores them (patches merged back, any
# rates undone). Use it in a leaf config with
#   val_evaluator = _base_.full_image_evaluator
full_image_evaluator = dict(
    _delete_=True, type='DOTAMergedMetric', ann_dir='data/DOTA/val/labelTxt')

# Test-set submission (the test set has no labels): patch detections are merged back to full
# images (offset, class-wise rotated NMS) and written as Task1_<class>.txt + a zip. Use them in
# a leaf config:
#   test_dataloader = _base_.submission_dataloader
#   test_evaluator = _base_.submission_evaluator
# or dump patch predictions with `tools/test.py ... --out preds.pkl` and run
# tools/dataset_converters/dota_merge.py, which also undoes the scale of multi-scale patches.
submission_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=_base_.dataset_type,
        data_root=_base_.data_root,
        ann_file='',  # no annotations: every image under data_prefix.img_path
        data_prefix=dict(img_path='test/images/'),
        test_mode=True,
        pipeline=_base_.test_pipeline))
submission_evaluator = dict(
    type='DOTAMetric',
    format_only=True,
    merge_patches=True,
    outfile_prefix='./work_dirs/dota/Task1')
