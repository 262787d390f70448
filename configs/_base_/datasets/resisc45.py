# NWPU-RESISC45 scene classification (Cheng et al., 2017): 31,500 RGB images of 256 x 256 px,
# 45 classes of 700 images. Layout: data/NWPU-RESISC45/<class>/<class>_<nnn>.jpg plus mmpretrain
# CustomDataset split files (`<relative path> <label>` per line). `train.txt` / `val.txt` under
# data_root are used as they are; the benchmark training ratios come from
#   python tools/dataset_converters/scene_split.py data/NWPU-RESISC45 --ratios 10 20
# (writes data/NWPU-RESISC45/splits/tr10_seed0/{train,test}.txt, ...), selected by the bases
# resisc45_tr10.py / resisc45_tr20.py. Pipelines, loaders and metric (OA) are those of aid.py.
_base_ = './aid.py'

data_root = 'data/NWPU-RESISC45/'
num_classes = 45

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
