"""Writer of tiny synthetic SAMRS subsets in the released on-disk format.

Per subset: ``images/<name><suffix>`` (PNG for SOTA/FAST, JPEG for SIOR), ``gray/<name>.png``
(uint8 class index, 255 where no object lies) and split files of image names. Objects are
rectangles filled with a class-specific colour on a dark noisy background, so a model learns
them in a few iterations.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Mapping, Optional

import cv2
import numpy as np

from mmrsfm.datasets.samrs_metainfo import IGNORE_INDEX, SAMRS_CLASSES, make_palette

#: Image suffix of each subset in the release.
SAMRS_IMG_SUFFIX = {'sota': '.png', 'sior': '.jpg', 'fast': '.png'}
#: Folder name of each subset under the SAMRS root.
SAMRS_FOLDERS = {'sota': 'SOTA', 'sior': 'SIOR', 'fast': 'FAST'}


def write_samrs(root: str,
                subset: str,
                splits: Optional[Mapping[str, int]] = None,
                size: int = 64,
                num_classes: int = 3,
                max_objects: int = 3,
                seed: int = 0) -> Dict[str, List[str]]:
    """Write one SAMRS subset (``'sota'``, ``'sior'`` or ``'fast'``) under ``root``.

    Args:
        root (str): The subset's folder (e.g. ``data/SAMRS/SOTA``); created if needed.
        subset (str): ``'sota'``, ``'sior'`` or ``'fast'`` (case-insensitive): sets the class
            list and the image suffix.
        splits (Mapping[str, int], optional): Split name -> number of images; each split's
            names go to ``<split>.txt``. Defaults to None (``{'train': 4, 'val': 2}``).
        size (int): Image side in pixels. Defaults to 64.
        num_classes (int): Objects use the first ``num_classes`` classes of the subset (at
            most all of them). Defaults to 3.
        max_objects (int): Up to this many rectangles per image (at least one); later ones
            overwrite earlier ones where they overlap, in the image and in the label.
            Defaults to 3.
        seed (int): Seed of the images and labels. Defaults to 0.

    Returns:
        dict[str, list[str]]: Image names (without suffix) per split.

    Raises:
        KeyError: If ``subset`` is not a SAMRS subset.

    Examples:
        >>> import tempfile
        >>> write_samrs(tempfile.mkdtemp(), 'sior', splits=dict(train=2, val=1))
        {'train': ['sior_00000', 'sior_00001'], 'val': ['sior_00002']}
    """
    subset = subset.lower()
    if subset not in SAMRS_CLASSES:
        raise KeyError(f'unknown SAMRS subset {subset!r}; expected one of {sorted(SAMRS_CLASSES)}')
    num_classes = min(num_classes, len(SAMRS_CLASSES[subset]))
    splits = dict(splits or {'train': 4, 'val': 2})
    suffix = SAMRS_IMG_SUFFIX[subset]
    bgr = [tuple(c[::-1]) for c in make_palette(num_classes)]
    rng = np.random.RandomState(seed)
    for folder in ('images', 'gray'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    written: Dict[str, List[str]] = {}
    index = 0
    for split, count in splits.items():
        names = []
        for _ in range(count):
            name = f'{subset}_{index:05d}'
            index += 1
            image = rng.randint(0, 40, size=(size, size, 3)).astype(np.uint8)
            label = np.full((size, size), IGNORE_INDEX, np.uint8)
            for _ in range(rng.randint(1, max_objects + 1)):
                cls = int(rng.randint(num_classes))
                w, h = rng.randint(size // 6, size // 2, size=2)
                x, y = rng.randint(0, size - w), rng.randint(0, size - h)
                image[y:y + h, x:x + w] = bgr[cls]
                label[y:y + h, x:x + w] = cls
            cv2.imwrite(osp.join(root, 'images', name + suffix), image)
            cv2.imwrite(osp.join(root, 'gray', name + '.png'), label)
            names.append(name)
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
        written[split] = names
    return written


def write_samrs_subsets(root: str,
                        train_sizes: Mapping[str, int] = None,
                        val_size: int = 2,
                        size: int = 64,
                        seed: int = 0) -> Dict[str, Dict[str, List[str]]]:
    """Write SOTA, SIOR and FAST under ``root/{SOTA,SIOR,FAST}`` (one call per subset).

    Args:
        root (str): The SAMRS root; each subset goes to its folder of :data:`SAMRS_FOLDERS`.
        train_sizes (Mapping[str, int]): Subset -> number of training images; only these
            subsets are written. Defaults to None (``sota=2, sior=3, fast=7``, roughly the
            SAMRS proportions).
        val_size (int): Validation images per subset. Defaults to 2.
        size (int): Image side in pixels. Defaults to 64.
        seed (int): Seed of the first subset; the next ones use ``seed + 1``, ``seed + 2``.
            Defaults to 0.

    Returns:
        dict[str, dict[str, list[str]]]: Subset -> split -> image names.
    """
    train_sizes = dict(train_sizes or {'sota': 2, 'sior': 3, 'fast': 7})
    return {
        subset: write_samrs(osp.join(root, SAMRS_FOLDERS[subset]), subset,
                            {'train': n, 'val': val_size}, size=size, seed=seed + i)
        for i, (subset, n) in enumerate(train_sizes.items())
    }
