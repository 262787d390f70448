# ISPRS Potsdam for mmseg: 38 true orthophotos of 6,000 x 6,000 px (5 cm), 6 classes (impervious
# surface, building, low vegetation, tree, car, clutter); label 0 (boundary / no data) is ignored.
# Cut into 512 x 512 patches (stride 256) with labels converted from RGB colours to indices by
#   python tools/dataset_converters/potsdam.py data/Potsdam_raw data/potsdam
# Split: the 24 tiles of mmseg's converter for train, the 14 others for val.
# Layout: data/potsdam/{img_dir,ann_dir}/{train,val}/*.png
# mmseg's base as it is: 512 crops, InfiniteSampler, mIoU.
_base_ = 'mmseg::_base_/datasets/potsdam.py'
