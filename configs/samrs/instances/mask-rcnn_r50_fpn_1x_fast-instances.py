# Mask R-CNN R-50-FPN on SAMRS-FAST instances (FAIR1M-2.0 train + val, 600 x 600 px in the
# paper, 37 fine-grained classes). Same layout as the SIOR config:
# data/SAMRS/FAST/{images/*.png, instances_train.json, instances_val.json}. Class order =
# FAST_CLASSES of mmrsfm/datasets/samrs_metainfo.py (checked by a test).
_base_ = './mask-rcnn_r50_fpn_1x_sior-instances.py'

classes = ('A220', 'A321', 'A330', 'A350', 'ARJ21', 'Baseball-Field', 'Basketball-Court',
           'Boeing737', 'Boeing747', 'Boeing777', 'Boeing787', 'Bridge', 'Bus', 'C919',
           'Cargo-Truck', 'Dry-Cargo-Ship', 'Dump-Truck', 'Engineering-Ship',
           'Excavator', 'Fishing-Boat', 'Football-Field', 'Intersection',
           'Liquid-Cargo-Ship', 'Motorboat', 'other-airplane', 'other-ship',
           'other-vehicle', 'Passenger-Ship', 'Roundabout', 'Small-Car',
           'Tennis-Court', 'Tractor', 'Trailer', 'Truck-Tractor', 'Tugboat', 'Van',
           'Warship')
metainfo = dict(classes=classes)
data_root = 'data/SAMRS/FAST/'
image_scale = (600, 600)

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
