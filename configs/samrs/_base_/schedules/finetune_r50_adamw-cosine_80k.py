# SAMRS fine-tuning schedule for ResNet backbones (paper appendix A.2): AdamW, betas (0.9, 0.999)
# and 80k iterations at batch 8 (Table 7), cosine decay (Table 7). Table 8's ResNet row reads
# "1e-3 5e-2 | 1e-4 5e-6" under ILR / WD / MLR ("|" = pre-training | fine-tuning): we read lr
# 1e-3 -> 1e-4 for fine-tuning, weight decay 0.05 and minimum lr 5e-6 for both (the pre-training
# half matches the authors' SEP script: lr 1e-3, wd 0.05, cosine to 5e-6). Other readings of the
# row (fine-tuning wd 1e-4 with lr 1e-3, or wd 5e-6) are in configs/samrs/README.md.
_base_ = 'mmseg::_base_/schedules/schedule_80k.py'
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=80000, eta_min=5e-6, by_epoch=False, begin=0, end=80000)
]
# The last checkpoint is the reported one (the Potsdam "val" tiles are the test set; picking the
# best on them would select on test data).
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000, max_keep_ckpts=2))
auto_scale_lr = dict(enable=False, base_batch_size=8)
