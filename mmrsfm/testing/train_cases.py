"""One tiny training case per model family: the real config shrunk to a CPU-sized model, its
training dataset on tiny generated data in the real on-disk format, and fixed data batches.

Used by the distributed (DDP) and mixed-precision tests: what they train is what
``tools/train.py`` trains (same model classes, data pipeline, data preprocessor and optimizer
wrapper config), only smaller. Data augmentation is random, so a batch is materialised once
(:func:`make_batch`) and the same tensors are then fed to every run being compared.
"""
from __future__ import annotations

import importlib
import os
import os.path as osp
import random
from typing import Any, Callable, Dict, List, Sequence

import numpy as np
import torch
from mmengine.config import Config

from .pretrain_runs import SELECTIVEMAE_CPU_CONFIG, SEP_CPU_CONFIG
from .rs_formats import write_scene_folder
from .samrs_format import write_samrs_subsets
from .tiny_runs import REPO_ROOT, make_tiny_config, write_tiny_data

#: The CPU-sized debLoRA stage-3 config (relative to the repository root).
DEBLORA_CPU_CONFIG = 'configs/deblora/deblora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py'


def _benchmark_case(task: str) -> Callable[[str], Config]:

    def make(root: str) -> Config:
        data_root = osp.join(root, 'data')
        write_tiny_data(task, data_root)
        return make_tiny_config(task, data_root, osp.join(root, 'work'), backbone='vit')

    return make


def _selectivemae_case(root: str) -> Config:
    data_root = osp.join(root, 'OpticalRS-13M')
    write_scene_folder(data_root, classes=('MillionAID', 'NWPU-RESISC45'), per_class=4,
                       val_per_class=0, size=48)
    cfg = Config.fromfile(osp.join(REPO_ROOT, SELECTIVEMAE_CPU_CONFIG))
    cfg.train_dataloader.dataset.data_root = data_root
    return cfg


def _deblora_case(root: str) -> Config:
    """Stage 3 on a randomly initialised stage-1 backbone and a made-up calibration (the
    training step does not depend on where the centres came from), loaded by ``init_cfg``."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, DEBLORA_CPU_CONFIG))
    classes = cfg.train_dataloader.dataset.metainfo['classes']
    data_root = osp.join(root, 'dota_lt')
    write_scene_folder(osp.join(data_root, 'train'), classes, per_class=1, val_per_class=0,
                       size=32)
    cfg.train_dataloader.dataset.data_root = data_root
    width = cfg.model.backbone.module.arch['embed_dims']
    rng = np.random.RandomState(0)
    calibration = osp.join(root, 'calibration_init.pth')
    alpha = np.ones(len(classes), dtype=np.float32)
    alpha[list(cfg.train_dataloader.dataset.metainfo['class_groups']['tail'])] = 0.5
    centres = rng.randn(len(classes), width).astype(np.float32)
    torch.save({'state_dict': {'centres': torch.from_numpy(centres),
                               'alpha': torch.from_numpy(alpha)}}, calibration)
    cfg.model.init_cfg = dict(type='Pretrained', checkpoint=calibration)
    return cfg


def _sep_case(root: str) -> Config:
    data_root = osp.join(root, 'SAMRS')
    write_samrs_subsets(data_root, {'sota': 4, 'sior': 4, 'fast': 4}, val_size=1)
    cfg = Config.fromfile(osp.join(REPO_ROOT, SEP_CPU_CONFIG))
    for dataset in cfg.train_dataloader.dataset.datasets:
        dataset.data_root = osp.join(data_root, osp.basename(dataset.data_root))
    return cfg


#: Model family -> writer of its tiny data under a folder, returning the shrunk real config.
CASES: Dict[str, Callable[[str], Config]] = {
    'classification': _benchmark_case('classification'),
    'detection': _benchmark_case('detection'),
    'rotated-detection': _benchmark_case('rotated-detection'),
    'segmentation': _benchmark_case('segmentation'),
    'selectivemae': _selectivemae_case,
    'deblora': _deblora_case,
    'sep': _sep_case,
}


def make_case(family: str, root: str) -> Config:
    """Write the tiny data of ``family`` under ``root`` and return its shrunk real config.

    Args:
        family (str): One of :data:`CASES`.
        root (str): Folder for the data (created).

    Returns:
        Config: The config; ``train_dataloader.dataset`` reads the written data.
    """
    if family not in CASES:
        raise ValueError(f'unknown model family {family!r}; choose one of {sorted(CASES)}')
    os.makedirs(root, exist_ok=True)
    cfg = CASES[family](root)
    cfg.randomness = dict(seed=0)
    return cfg


def import_scope(cfg: Config) -> None:
    """Import the config's ``custom_imports`` and make its ``default_scope`` current, as the
    Runner does before building anything.

    Args:
        cfg (Config): The config; ``default_scope`` defaults to ``'mmengine'``.
    """
    from mmengine.registry import init_default_scope
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    init_default_scope(cfg.get('default_scope', 'mmengine'))


def build_train_dataset(cfg: Config):
    """The training dataset of ``cfg`` (after :func:`import_scope`).

    Args:
        cfg (Config): The config; ``train_dataloader.dataset`` is built (a ``ConcatDataset``
            with its parts built in the config's scope first).

    Returns:
        BaseDataset: The dataset.
    """
    from mmengine.registry import DATASETS
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') == 'ConcatDataset':  # build the parts in the config's scope
        dataset = dict(dataset, datasets=[DATASETS.build(d) for d in dataset.datasets])
    return DATASETS.build(dataset)


def make_batch(cfg: Config, dataset, indices: Sequence[int], seed: int = 0) -> Dict[str, Any]:
    """Load ``dataset[i]`` for ``indices`` (random augmentation drawn under ``seed``) and
    collate them with the config's ``collate_fn``, as the training dataloader would.

    Args:
        cfg (Config): The config; ``train_dataloader.collate_fn`` defaults to
            ``pseudo_collate``.
        dataset (BaseDataset): The dataset, e.g. from :func:`build_train_dataset`.
        indices (Sequence[int]): The samples of the batch, in order.
        seed (int): Seed of torch, numpy and ``random`` while the samples are loaded.
            Defaults to 0.

    Returns:
        dict: ``inputs`` (list of (C, H, W) tensors, or one (N, C, H, W) tensor) and
        ``data_samples`` (list), the data batch ``train_step`` receives.
    """
    from mmengine.registry import FUNCTIONS
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    collate_cfg = dict(cfg.train_dataloader.get('collate_fn', dict(type='pseudo_collate')))
    collate = FUNCTIONS.get(collate_cfg.pop('type'))
    return collate([dataset[i] for i in indices], **collate_cfg)


def split_batch(batch: Dict[str, Any], sizes: Sequence[int]) -> List[Dict[str, Any]]:
    """Split a collated batch into consecutive parts of ``sizes`` samples (one per rank).

    Args:
        batch (dict[str, Any]): A collated batch (``inputs``, ``data_samples``); every value is
            sliced along its first dimension.
        sizes (Sequence[int]): Samples per part, adding up to the batch size.

    Returns:
        list[dict[str, Any]]: The parts, in order.

    Raises:
        ValueError: If ``sizes`` do not add up to the batch size.

    Examples:
        >>> batch = dict(inputs=torch.zeros(3, 2), data_samples=['a', 'b', 'c'])
        >>> [part['data_samples'] for part in split_batch(batch, [2, 1])]
        [['a', 'b'], ['c']]
    """
    parts, start = [], 0
    for size in sizes:
        part = {}
        for key, value in batch.items():
            part[key] = value[start:start + size]
        parts.append(part)
        start += size
    if start != len(batch['data_samples']):
        raise ValueError(f'sizes {list(sizes)} do not add up to the batch of '
                         f'{len(batch["data_samples"])}')
    return parts


def join_batches(batches: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Concatenate collated batches (rank order) into the global batch.

    Args:
        batches (Sequence[dict[str, Any]]): Collated batches with the same keys; tensors are
            concatenated along their first dimension, lists joined.

    Returns:
        dict[str, Any]: The joined batch; the inverse of :func:`split_batch`.

    Examples:
        >>> parts = [dict(inputs=torch.zeros(2, 4), data_samples=['a', 'b']),
        ...          dict(inputs=torch.ones(1, 4), data_samples=['c'])]
        >>> joined = join_batches(parts)
        >>> tuple(joined['inputs'].shape), joined['data_samples']
        ((3, 4), ['a', 'b', 'c'])
    """
    joined: Dict[str, Any] = {}
    for key in batches[0]:
        values = [b[key] for b in batches]
        if isinstance(values[0], torch.Tensor):
            joined[key] = torch.cat(values)
        else:
            joined[key] = [item for value in values for item in value]
    return joined


def build_model(cfg: Config, seed: int = 0) -> torch.nn.Module:
    """Build and initialise ``cfg.model`` on CPU as the Runner does (weights drawn under
    ``seed``, so every process builds the same model).

    Args:
        cfg (Config): The config; its scope is imported (:func:`import_scope`) and a top-level
            ``data_preprocessor`` becomes the model's default one.
        seed (int): Seed of the weight initialisation. Defaults to 0.

    Returns:
        torch.nn.Module: The model, with ``init_weights`` called.
    """
    from mmengine.registry import MODELS
    import_scope(cfg)
    torch.manual_seed(seed)
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:  # the Runner's merge of the top-level key
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if hasattr(model, 'init_weights'):
        model.init_weights()
    return model
