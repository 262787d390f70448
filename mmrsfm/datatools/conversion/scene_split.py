"""Seeded, stratified train/test splits of scene-classification folders (AID, NWPU-RESISC45)
at a training ratio, written as mmpretrain ``CustomDataset`` annotation files.

The benchmarks train on a fixed fraction of every class (AID: TR 20% / 50%; RESISC-45: TR 10% /
20%) and test on the rest. Per class (sorted folder names = labels 0..C-1), the sorted file list
is permuted by a NumPy generator seeded with ``seed`` and the first ``round(ratio * n)`` files
(at least 1, at most ``n - 1``) train.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp')


def scan_scene_folder(root: str) -> Tuple[List[str], Dict[str, List[str]]]:
    """Class names (sorted sub-folders) and their image files (sorted, relative to ``root``).

    Raises:
        FileNotFoundError: if ``root`` has no class folders.
        ValueError: naming a class folder without images.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root}: dataset folder not found')
    classes = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)) and not d.startswith('.') and d != 'splits')
    if not classes:
        raise FileNotFoundError(f'{root}: no class folders (expected <root>/<Class>/<image>)')
    files = {}
    for name in classes:
        images = sorted(f for f in os.listdir(osp.join(root, name))
                        if f.lower().endswith(IMAGE_EXTENSIONS))
        if not images:
            raise ValueError(f'{osp.join(root, name)}: class folder has no images '
                             f'({", ".join(IMAGE_EXTENSIONS)})')
        files[name] = [f'{name}/{f}' for f in images]
    return classes, files


def stratified_split(files: Dict[str, List[str]],
                     classes: Sequence[str],
                     train_ratio: float,
                     seed: int = 0) -> Tuple[List[str], List[str]]:
    """Split every class at ``train_ratio``.

    Args:
        files: Class name -> its image paths.
        classes: Class names in label order.
        train_ratio: Fraction of each class for training, in (0, 1).
        seed: Seed of the permutation.

    Returns:
        ``(train lines, test lines)``, each ``'<relative path> <label>'``.
    """
    if not 0 < train_ratio < 1:
        raise ValueError(f'train_ratio must be in (0, 1), got {train_ratio}')
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label, name in enumerate(classes):
        paths = files[name]
        if len(paths) < 2:
            raise ValueError(f'class {name!r} has {len(paths)} image(s); a split needs >= 2')
        order = rng.permutation(len(paths))
        num_train = min(max(int(round(train_ratio * len(paths))), 1), len(paths) - 1)
        train += [f'{paths[i]} {label}' for i in sorted(order[:num_train])]
        test += [f'{paths[i]} {label}' for i in sorted(order[num_train:])]
    return train, test


def split_dir_name(train_percent: float, seed: int) -> str:
    """Folder of one split under ``<root>/splits``: ``tr20_seed0`` for 20 %, seed 0."""
    return f'tr{train_percent:g}_seed{seed}'
