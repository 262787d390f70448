# Mask R-CNN R-50-FPN on SAMRS-SOTA instances (DOTA-v2.0 trainval cut to 1024 x 1024 px,
# 18 classes). Same layout as the SIOR config:
# data/SAMRS/SOTA/{images/*.png, instances_train.json, instances_val.json}. Class order =
# SOTA_CLASSES of mmrsfm/datasets/samrs_metainfo.py (checked by a test).
_base_ = './mask-rcnn_r50_fpn_1x_sior-instances.py'

classes = ('large-vehicle', 'swimming-pool', 'helicopter', 'bridge', 'plane', 'ship',
           'soccer-ball-field', 'basketball-court', 'ground-track-field',
           'small-vehicle', 'baseball-diamond', 'tennis-court', 'roundabout',
           'storage-tank', 'harbor', 'container-crane', 'airport', 'helipad')
metainfo = dict(classes=classes)
data_root = 'data/SAMRS/SOTA/'
image_scale = (1024, 1024)

model = dict(roi_head=dict(bbox_head=dict(num_classes=len(classes)),
                           mask_head=dict(num_classes=len(classes))))

# The SIOR pipelines with this subset's image scale (Resize is step 2 / step 1).
train_pipeline = _base_.train_pipeline
train_pipeline[2]['scale'] = image_scale
test_pipeline = _base_.test_pipeline
test_pipeline[1]['scale'] = image_scale
train_dataloader = dict(
    dataset=dict(metainfo=metainfo, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(metainfo=metainfo, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'instances_val.json')
test_evaluator = val_evaluator
