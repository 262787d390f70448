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

    Hidden folders and a ``splits`` folder (where the split files are written) are not classes.

    Args:
        root (str): Dataset folder laid out as ``<root>/<Class>/<image>``.

    Returns:
        Tuple[List[str], Dict[str, List[str]]]: The sorted class names, and for each class its
        sorted image paths ``'<Class>/<file>'`` relative to ``root``.

    Raises:
        FileNotFoundError: if ``root`` does not exist or has no class folders.
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
        files (Dict[str, List[str]]): Class name -> its image paths.
        classes (Sequence[str]): Class names in label order (label ``i`` is ``classes[i]``).
        train_ratio (float): Fraction of each class for training, in (0, 1).
        seed (int): Seed of the permutation. Defaults to 0.

    Returns:
        Tuple[List[str], List[str]]: The train lines and the test lines, each
        ``'<relative path> <label>'``, grouped by class in label order.

    Raises:
        ValueError: If ``train_ratio`` is not in (0, 1) or a class has fewer than 2 images.
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
    """Folder of one split under ``<root>/splits``: ``tr20_seed0`` for 20 %, seed 0.

    Args:
        train_percent (float): Training share in percent (e.g. ``20`` or ``12.5``).
        seed (int): Seed of the split.

    Returns:
        str: ``'tr<percent>_seed<seed>'``, the percent without trailing zeros.
    """
    return f'tr{train_percent:g}_seed{seed}'
