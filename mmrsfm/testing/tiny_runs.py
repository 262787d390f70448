"""Shrink a real benchmark config to a CPU run of seconds on tiny synthetic data.

Used by the quick start (``tools/quickstart.py``) and by the tests: the model, dataset class,
metric and training loop stay those of the real config; only data location, image size, batch
size, schedule length and pretrained-weight downloads change.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Callable, Dict, List, Optional

from mmengine.config import Config, ConfigDict

from .rs_formats import write_dior, write_dota, write_loveda, write_scene_folder

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: task -> real config it shrinks (relative to the repository root).
TASK_CONFIGS: Dict[str, str] = {
    'classification': 'configs/benchmarks/classification/resnet50_8xb32-100e_aid.py',
    'detection': 'configs/benchmarks/detection/faster-rcnn_r50_fpn_1x_dior.py',
    'rotated-detection':
    'configs/benchmarks/rotated_detection/oriented-rcnn-le90_r50_fpn_1x_dota.py',
    'segmentation': 'configs/benchmarks/segmentation/upernet_r50_4xb4-80k_loveda-512x512.py',
}

#: task -> ViT-B/16 (SelectiveMAE-pretrained) config of the same benchmark, shrunk to a tiny ViT
#: by :func:`make_tiny_config` with ``backbone='vit'``.
VIT_TASK_CONFIGS: Dict[str, str] = {
    'classification':
    'configs/benchmarks/classification/vit-base-p16_selectivemae-pre_8xb8-200e_aid-tr20.py',
    'detection':
    'configs/benchmarks/detection/faster-rcnn_vit-b-p16-selectivemae-pre_fpn_1x_dior.py',
    'rotated-detection': 'configs/benchmarks/rotated_detection/'
    'oriented-rcnn-le90_vit-b-p16-selectivemae-pre_fpn_1x_dota.py',
    'segmentation': 'configs/benchmarks/segmentation/'
    'upernet_vit-b-p16-selectivemae-pre_4xb2-80k_loveda-512x512.py',
}

#: The tiny ViT replacing ViT-B/L: width 32, 4 blocks (all four feed the pyramid).
TINY_VIT = dict(arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
                img_size=64, out_indices=[0, 1, 2, 3], drop_path_rate=0.0, with_cp=False)

#: task -> metric key the toolbox reports.
TASK_METRICS: Dict[str, str] = {
    'classification': 'accuracy/top1',
    'detection': 'pascal_voc/mAP',
    'rotated-detection': 'dota/mAP',
    'segmentation': 'mIoU',
}


def write_tiny_data(task: str, data_root: str, seed: int = 0) -> None:
    """Write the tiny dataset of ``task`` in its real on-disk format under ``data_root``.

    Args:
        task (str): One of :data:`TASK_CONFIGS`: ``'classification'`` (AID-style scene
            folders), ``'detection'`` (DIOR), ``'rotated-detection'`` (DOTA) or
            ``'segmentation'`` (LoveDA).
        data_root (str): The dataset folder the tiny config points at.
        seed (int): Seed of the generated images and labels. Defaults to 0.

    Raises:
        ValueError: If ``task`` is unknown.
    """
    writers: Dict[str, Callable[[], object]] = {
        'classification': lambda: write_scene_folder(data_root, seed=seed),
        'detection': lambda: write_dior(data_root, {'train': 2, 'val': 2, 'test': 2}, seed=seed),
        'rotated-detection': lambda: write_dota(data_root, 'trainval', num_images=4, seed=seed),
        'segmentation': lambda: write_loveda(data_root, seed=seed),
    }
    _check_task(task)
    writers[task]()


def _check_task(task: str) -> None:
    if task not in TASK_CONFIGS:
        raise ValueError(f'unknown task {task!r}; choose one of {sorted(TASK_CONFIGS)}')


def _loader(cfg: ConfigDict, batch_size: int) -> None:
    cfg.batch_size = batch_size
    cfg.num_workers = 0
    cfg.persistent_workers = False


def _datasets(loader_cfg: ConfigDict) -> List[ConfigDict]:
    dataset = loader_cfg.dataset
    return list(dataset.datasets) if dataset.type == 'ConcatDataset' else [dataset]


def _shrink_classification(cfg: Config, data_root: str) -> None:
    cfg.model.backbone.init_cfg = None
    cfg.model.head.num_classes = 3
    cfg.data_preprocessor.num_classes = 3
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]
    test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    for loader, pipeline in ((cfg.train_dataloader, train_pipeline),
                             (cfg.val_dataloader, test_pipeline),
                             (cfg.test_dataloader, test_pipeline)):
        _loader(loader, 4)
        loader.dataset.data_root = data_root
        loader.dataset.ann_file = 'train.txt' if loader is cfg.train_dataloader else 'val.txt'
        loader.dataset.pipeline = pipeline
    cfg.param_scheduler = None
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=3)


def _shrink_detection(cfg: Config, data_root: str, scale: int = 256) -> None:
    cfg.model.backbone.init_cfg = None
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        _loader(loader, 2 if loader is cfg.train_dataloader else 1)
        for dataset in _datasets(loader):
            dataset.data_root = data_root
            for step in dataset.pipeline:
                if step.type.endswith('Resize'):
                    step.scale = (scale, scale)
    cfg.param_scheduler = None
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=2)


def _shrink_rotated_detection(cfg: Config, data_root: str) -> None:
    _shrink_detection(cfg, data_root)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.ann_file = 'trainval/annfiles/'
        loader.dataset.data_prefix = dict(img_path='trainval/images/')


def _shrink_segmentation(cfg: Config, data_root: str, size: int = 64) -> None:
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (size, size)
    cfg.model.test_cfg = dict(mode='whole')
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(type='RandomCrop', crop_size=(size, size), cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackSegInputs'),
    ]
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(type='PackSegInputs'),
    ]
    for loader, pipeline in ((cfg.train_dataloader, train_pipeline),
                             (cfg.val_dataloader, test_pipeline),
                             (cfg.test_dataloader, test_pipeline)):
        _loader(loader, 2 if loader is cfg.train_dataloader else 1)
        loader.dataset.data_root = data_root
        loader.dataset.pipeline = pipeline
    cfg.param_scheduler = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=4)


SHRINKERS: Dict[str, Callable[[Config, str], None]] = {
    'classification': _shrink_classification,
    'detection': _shrink_detection,
    'rotated-detection': _shrink_rotated_detection,
    'segmentation': _shrink_segmentation,
}


def shrink_vit(model: ConfigDict) -> None:
    """Replace the ViT-B/L backbone of a benchmark ``model`` config by :data:`TINY_VIT` (in
    place), with the widths of the neck / heads that read it; no pretrained weights.

    Args:
        model (ConfigDict): The ``model`` config, with a ``ViTPyramid`` (detection,
            segmentation) or ``VisionTransformer`` (classification) backbone.

    Raises:
        ValueError: If the backbone is neither.
    """
    backbone = model.backbone
    if backbone.type not in ('ViTPyramid', 'VisionTransformer'):
        raise ValueError(f'shrink_vit: the backbone is {backbone.type}, not a ViT')
    width = TINY_VIT['arch']['embed_dims']
    backbone.update(arch=dict(TINY_VIT['arch']), img_size=TINY_VIT['img_size'], init_cfg=None,
                    drop_path_rate=TINY_VIT['drop_path_rate'])
    if backbone.type == 'VisionTransformer':
        model.head.in_channels = width
        return
    backbone.update(out_indices=list(TINY_VIT['out_indices']), with_cp=TINY_VIT['with_cp'])
    if model.get('neck') is not None:
        model.neck.in_channels = [width] * len(TINY_VIT['out_indices'])
    if model.get('decode_head') is not None:
        model.decode_head.in_channels = [width] * len(TINY_VIT['out_indices'])
        model.auxiliary_head.in_channels = width


def _shorten_vit_run(cfg: Config, task: str) -> None:
    """One epoch (a few iterations) and fewer proposals, so a ViT run stays within seconds."""
    if task == 'segmentation':
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=2)
        return
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    if task == 'classification':
        return
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        for dataset in _datasets(loader):
            for step in dataset.pipeline:
                if step.type.endswith('Resize'):
                    step.scale = (128, 128)
    train_cfg, test_cfg = cfg.model.train_cfg, cfg.model.test_cfg
    train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    train_cfg.rpn.sampler.num = 64
    train_cfg.rcnn.sampler.num = 64
    test_cfg.rpn.update(nms_pre=200, max_per_img=100)
    test_cfg.rcnn.max_per_img = 50


def make_tiny_config(task: str, data_root: str, work_dir: str,
                     backbone: Optional[str] = None) -> Config:
    """Load the real config of ``task`` and shrink it to a seconds-long CPU run.

    Args:
        task (str): One of :data:`TASK_CONFIGS` (``'classification'``, ``'detection'``,
            ``'rotated-detection'``, ``'segmentation'``).
        data_root (str): Where :func:`write_tiny_data` wrote the task's data.
        work_dir (str): The run's work dir; created if needed.
        backbone (str, optional): ``None`` for the ResNet-50 reference (:data:`TASK_CONFIGS`),
            ``'vit'`` for the ViT-B/16 config (:data:`VIT_TASK_CONFIGS`) with a tiny ViT in
            place of ViT-B. Defaults to None.

    Returns:
        Config: The config, also dumped to ``<work_dir>/<task>_tiny.py`` so ``tools/train.py``
        can run it.

    Raises:
        ValueError: If ``task`` or ``backbone`` is unknown.
    """
    _check_task(task)
    if backbone not in (None, 'vit'):
        raise ValueError(f"backbone must be None or 'vit', got {backbone!r}")
    configs = VIT_TASK_CONFIGS if backbone == 'vit' else TASK_CONFIGS
    cfg = Config.fromfile(osp.join(REPO_ROOT, configs[task]))
    SHRINKERS[task](cfg, data_root)
    if backbone == 'vit':
        shrink_vit(cfg.model)
        _shorten_vit_run(cfg, task)
    cfg.work_dir = work_dir
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.randomness = dict(seed=0)
    os.makedirs(work_dir, exist_ok=True)
    cfg.dump(osp.join(work_dir, f'{task}_tiny.py'))
    return cfg
