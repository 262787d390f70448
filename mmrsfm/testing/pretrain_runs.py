"""Tiny runs of the pretraining recipes (SelectiveMAE, SEP multi-head) on generated data.

One recipe each, shared by the tests and ``tools/misc/gpu_acceptance.py``: the CPU-sized configs
under ``configs/`` on data written in the real on-disk layout, with a run length of seconds.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmengine.config import Config

from .rs_formats import write_scene_folder
from .samrs_format import write_samrs_subsets
from .tiny_runs import REPO_ROOT

#: The CPU-sized SelectiveMAE config (2-layer ViT, 8 px patches on 32 px crops).
SELECTIVEMAE_CPU_CONFIG = osp.join(
    REPO_ROOT, 'configs', 'selectivemae',
    'selectivemae_vit-tiny-p8-32px_1xb8-2e_opticalrs-13m-cpu.py')

#: Source folders of the tiny OpticalRS-13M-style collection.
OPTICALRS_SOURCES: Tuple[str, ...] = ('MillionAID', 'NWPU-RESISC45')

#: The CPU-sized SEP config (4-block ViT, three SAMRS heads, 64 px crops).
SEP_CPU_CONFIG = osp.join(REPO_ROOT, 'configs', 'samrs',
                          'sep-upernet_vit-tiny-p8_1xb6-20i_samrs-64x64-cpu.py')

#: Training images per SAMRS subset of the tiny SEP data (roughly the SAMRS proportions).
SEP_TRAIN_SIZES: Dict[str, int] = {'sota': 2, 'sior': 3, 'fast': 7}


def write_tiny_opticalrs(data_root: str,
                         sources: Sequence[str] = OPTICALRS_SOURCES,
                         per_source: int = 8,
                         size: int = 48,
                         seed: int = 0) -> None:
    """Write an OpticalRS-13M-style folder: ``data_root/<source>/<image>``.

    Args:
        data_root (str): Output folder.
        sources (Sequence[str]): One sub-folder per source dataset.
            Defaults to :data:`OPTICALRS_SOURCES`.
        per_source (int): Images per source. Defaults to 8.
        size (int): Image side in pixels. Defaults to 48.
        seed (int): Seed of the image content. Defaults to 0.
    """
    write_scene_folder(data_root, classes=tuple(sources), per_class=per_source,
                       val_per_class=0, size=size, seed=seed)


def selectivemae_cfg_options(data_root: str) -> List[str]:
    """``--cfg-options`` arguments of a tiny SelectiveMAE run of
    :data:`SELECTIVEMAE_CPU_CONFIG` through ``tools/train.py``.

    The PSTS boundaries are moved so that the config's 2 epochs pass from ``near`` (epoch 0)
    to ``near -> far`` (epoch 1).

    Args:
        data_root (str): A folder written by :func:`write_tiny_opticalrs`.

    Returns:
        list[str]: ``key=value`` strings.
    """
    return [f'train_dataloader.dataset.data_root={data_root}',
            'model.token_selector.psts.boundaries=[0.5,0.6,0.8,0.9]']


def write_tiny_sep_data(data_root: str,
                        train_sizes: Optional[Mapping[str, int]] = None,
                        val_size: int = 2) -> None:
    """Write the three SAMRS subsets (SOTA, SIOR, FAST) of a tiny SEP run under ``data_root``.

    Args:
        data_root (str): Output folder (``SOTA/``, ``SIOR/``, ``FAST/`` below it).
        train_sizes (Mapping[str, int], optional): Subset -> training images.
            Defaults to :data:`SEP_TRAIN_SIZES`.
        val_size (int): Validation images per subset. Defaults to 2.
    """
    write_samrs_subsets(data_root, dict(train_sizes or SEP_TRAIN_SIZES), val_size=val_size)


def make_tiny_sep_config(data_root: str, work_dir: str, iters: int = 4) -> Tuple[Config, str]:
    """Load :data:`SEP_CPU_CONFIG`, point it at ``data_root`` and shorten it to ``iters``.

    Validation and the checkpoint come at the last iteration; the lr follows a cosine over the
    run; every iteration is logged; seed 0.

    Args:
        data_root (str): A folder written by :func:`write_tiny_sep_data`.
        work_dir (str): Folder for the dumped config (created if needed).
        iters (int): Training iterations. Defaults to 4.

    Returns:
        tuple[Config, str]: The config and the path it was dumped to
        (``<work_dir>/sep_tiny.py``), for ``tools/train.py``.
    """
    cfg = Config.fromfile(SEP_CPU_CONFIG)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        for dataset in loader.dataset.datasets:
            dataset.data_root = osp.join(data_root, osp.basename(dataset.data_root))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=iters, by_epoch=False, begin=0,
                                end=iters)]
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1, log_metric_by_epoch=False)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=iters)
    cfg.randomness = dict(seed=0)
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, 'sep_tiny.py')
    cfg.dump(path)
    return cfg, path
