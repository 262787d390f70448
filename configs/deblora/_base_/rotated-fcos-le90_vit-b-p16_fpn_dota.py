# Rotated FCOS (le90) on DOTA-v1.0 1,024 px patches with a plain ViT-B/16 feature extractor: the
# detector of the debLoRA detection rows (slides Table R1: "All methods use FCOS as the detector
# head"; oriented detection on DOTA, mAP for head / middle / tail classes). Leaf configs choose
# how the backbone is treated (Zero-Shot, Fine-Tune, LoRA, debLoRA); every row trains on the
# same data with the same head, neck and schedule, so the rows differ only there.
# Detector, data pipeline and schedule: mmrotate 1.x's configs/rotated_fcos/
# rotated-fcos-le90_r50_fpn_1x_dota.py (1 GPU x 2 images, SGD lr 0.0025, 12 epochs, steps 8 / 11),
# whose README reports 71.28 mAP with ResNet-50.
_base_ = [
    '../../_base_/datasets/dota.py',
    'mmrotate::_base_/schedules/schedule_1x.py',
    'mmrotate::_base_/default_runtime.py',
]

angle_version = 'le90'  # mmrotate's rotated-fcos config
# mmrotate's DOTADataset class order (labels are indices into it).
classes = ('plane', 'baseball-diamond', 'bridge', 'ground-track-field', 'small-vehicle',
           'large-vehicle', 'ship', 'tennis-court', 'basketball-court', 'storage-tank',
           'soccer-ball-field', 'roundabout', 'harbor', 'swimming-pool', 'helicopter')
# debLoRA's DOTA groups (authors' code, as configs/deblora/_base_/dota-lt_crops.py): head = ship,
# large-vehicle, small-vehicle; tail = helicopter, basketball-court, baseball-diamond, roundabout,
# soccer-ball-field, ground-track-field; the other six are middle. Read by GroupedMAPMetric
# (head_mAP / middle_mAP / tail_mAP) and by tools/deblora/cluster_features.py (tail classes get
# a de-biased centre).
class_groups = dict(
    head=['ship', 'large-vehicle', 'small-vehicle'],
    middle=['plane', 'bridge', 'tennis-court', 'storage-tank', 'harbor', 'swimming-pool'],
    tail=['helicopter', 'basketball-court', 'baseball-diamond', 'roundabout',
          'soccer-ball-field', 'ground-track-field'])

# Any mmpretrain ViT-B/16 checkpoint with `backbone.*` keys (SelectiveMAE / MAE pretraining, or
# a converted foundation model), as the classification debLoRA configs take.
pretrained = 'checkpoints/vit-b-p16_pretrain.pth'
vit_b = dict(
    type='mmpretrain.VisionTransformer',  # scoped: this config's default scope is mmrotate
    arch='b',
    img_size=1024,  # the DOTA patch size (tools/dataset_converters/dota_split.py)
    patch_size=16,
    out_type='featmap',
    # Blocks feeding the pyramid: our ViT-B dense-benchmark choice
    # (configs/_base_/models/vit-b-p16_pyramid.py); the last one is debLoRA's object feature map.
    out_indices=[3, 5, 7, 11],
    final_norm=False,  # as our ViTPyramid: MAE-style dense fine-tuning drops the final norm
    drop_path_rate=0.1,  # our ViT-B detection recipe (paper Table 9 (iv)), as LoRA stage 1 of
    #                      configs/deblora/lora_vit-b-p16_1xb64-20e_dota-lt.py
    init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.'))

model = dict(
    type='mmdet.FCOS',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        boxtype2tensor=False),
    backbone=vit_b,
    # Our choice: the stride-16 ViT maps become strides 8 / 16 / 32 / 64 (mmseg's Feature2Pyramid
    # rescales 2, 1, 1/2, 1/4) and the FPN adds stride 128 on its output: FCOS's levels of
    # mmrotate's config (ResNet's stride-4 stage is skipped there too, FPN start_level=1).
    neck=[
        dict(type='mmseg.Feature2Pyramid', embed_dim=768, rescales=[2, 1, 0.5, 0.25]),
        dict(
            type='mmdet.FPN',
            in_channels=[768, 768, 768, 768],
            out_channels=256,
            start_level=0,
            add_extra_convs='on_output',
            num_outs=5,
            relu_before_extra_convs=True),
    ],
    bbox_head=dict(  # mmrotate's rotated-fcos config from here on
        type='RotatedFCOSHead',
        num_classes=15,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        strides=[8, 16, 32, 64, 128],
        center_sampling=True,
        center_sample_radius=1.5,
        norm_on_bbox=True,
        centerness_on_reg=True,
        use_hbbox_loss=False,
        scale_angle=True,
        bbox_coder=dict(type='DistanceAnglePointCoder', angle_version=angle_version),
        loss_cls=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='RotatedIoULoss', loss_weight=1.0),
        loss_angle=None,
        loss_centerness=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    train_cfg=None,
    test_cfg=dict(
        nms_pre=2000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms_rotated', iou_threshold=0.1),
        max_per_img=2000))

# The class groups travel with the training set (stage 2 reads them from its metainfo).
train_dataloader = dict(
    batch_size=2,  # mmrotate's rotated-fcos: 1 GPU x 2 images
    dataset=dict(metainfo=dict(classes=classes, class_groups=class_groups)))
val_evaluator = dict(
    _delete_=True,
    type='GroupedMAPMetric',
    metric=dict(type='DOTAMetric', metric='mAP'),
    groups=class_groups)
test_evaluator = val_evaluator
# mmrotate's schedule_1x (12 epochs, SGD lr 0.0025 momentum 0.9 wd 1e-4, gradient clipping 35,
# 500 warm-up iterations from lr / 3, lr / 10 after epochs 8 and 11) is used as is.
# A fixed seed (our choice, as the classification debLoRA configs): reruns give the same run.
randomness = dict(seed=0, deterministic=False)
