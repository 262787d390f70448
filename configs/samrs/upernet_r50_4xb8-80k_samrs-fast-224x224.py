# UperNet R-50 on one SAMRS subset: FAST (37 classes, label 255 = no object, ignored); same recipe
# as the SOTA config (224 crops, SEP augmentation, 80k iterations), other dataset and classes.
_base_ = './upernet_r50_4xb8-80k_samrs-sota-224x224.py'
model = dict(decode_head=dict(num_classes=37), auxiliary_head=dict(num_classes=37))
train_dataloader = dict(dataset={{_base_.fast_train}})
val_dataloader = dict(dataset={{_base_.fast_val}})
test_dataloader = val_dataloader
