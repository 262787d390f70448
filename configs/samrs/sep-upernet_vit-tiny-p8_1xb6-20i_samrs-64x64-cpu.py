# CPU-sized SEP run (seconds): the ViT-B SEP recipe - proportional multi-subset batches, one
# classifier per SAMRS subset, summed cross-entropies, layer-wise lr decay, mIoU per subset and
# their mean - on a 4-block, 32-wide ViT with 64 px crops, for tiny data (e.g. written by
# mmrsfm.testing.write_samrs_subsets) and for checking the set-up before a GPU run.
_base_ = ['./sep-upernet_vit-b-p16_8xb12-80k_samrs-224x224.py']
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
samrs_meta_keys = {{_base_.samrs_meta_keys}}
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
        img_size=crop_size[0],
        patch_size=8,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.0,
        pyramid_norm_cfg=norm_cfg,
        init_cfg=None),
    decode_head=dict(
        in_channels=[32, 32, 32, 32], channels=32, pool_scales=(1, 2), norm_cfg=norm_cfg))


def _tiny_train(dataset_type, root):
    return dict(
        type=dataset_type,
        data_root=root,
        ann_file='train.txt',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomCrop', crop_size=crop_size),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='RandomFlip', prob=0.5, direction='vertical'),
            dict(type='PackSegInputs', meta_keys=samrs_meta_keys),
        ])


train_dataloader = dict(
    batch_size=6,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(datasets=[
        _tiny_train('SOTADataset', 'data/SAMRS/SOTA'),
        _tiny_train('SIORDataset', 'data/SAMRS/SIOR'),
        _tiny_train('FASTDataset', 'data/SAMRS/FAST'),
    ]))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=20, eta_min=0.0, by_epoch=False, begin=0, end=20)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20, val_interval=20)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20, save_best=None))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
