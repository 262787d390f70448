# DIOR-R oriented boxes (Cheng et al., 2022) for mmrotate: the DIOR images with <robndbox>
# annotations, 20 classes. Train on train+val, evaluate on test with the DOTA-style mAP50 (VOC07
# 11-point AP per class, as mmrotate's DOTAMetric defaults). Boxes are read as quadrilaterals and
# converted to le90 rotated boxes (the angle version of the Oriented R-CNN models that use this
# base).
# Layout (as released; see docs/dataset_preparation.md): data/DIOR/{JPEGImages-trainval,
# JPEGImages-test, Annotations/Oriented Bounding Boxes, ImageSets/Main/{train,val,test}.txt}.
# mmrotate's DIOR base as it is (mmrotate's DIORDataset), plus the angle version.
_base_ = 'mmrotate::_base_/datasets/dior.py'

angle_version = 'le90'
