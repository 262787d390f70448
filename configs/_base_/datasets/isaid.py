# iSAID semantic segmentation for mmseg: the 2,806 DOTA images with pixel labels of 15 object
# classes + background (16 classes, background counted). Cut into 896 x 896 patches (overlap 384)
# with labels converted from iSAID's RGB colours to indices by
#   python tools/dataset_converters/isaid.py data/iSAID_raw data/iSAID
# Layout: data/iSAID/img_dir/{train,val}/<id>_<y0>_<y1>_<x0>_<x1>.png and
#         data/iSAID/ann_dir/{train,val}/<same name>_instance_color_RGB.png
# mmseg's base as it is: 896 crops, InfiniteSampler, mIoU.
_base_ = 'mmseg::_base_/datasets/isaid.py'
