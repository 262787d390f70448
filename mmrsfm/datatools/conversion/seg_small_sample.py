"""Seeded small-sample training subsets of a segmentation dataset (SAMRS paper Sec. 4.3: 1 %, 3 %
and 5 % of the Potsdam and iSAID training sets), written as mmseg ``ann_file`` lists.

The subsets are nested: one seeded permutation of the sorted patch names, and each fraction takes
its first ``n`` names, so the 1 % subset lies inside the 3 % one, which lies inside the 5 % one
(a smaller budget never sees a patch the larger one lacks). ``n = max(1, floor(f * N + 0.5))``
(round half up). Lines are image names without suffix, sorted, as mmseg's ``BaseSegDataset``
reads an ``ann_file`` (``img_dir/<name><img_suffix>``, ``seg_map_dir/<name><seg_map_suffix>``).
"""
from __future__ import annotations

import math
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np


def subset_size(fraction: float, total: int) -> int:
    """Number of samples of a ``fraction`` subset of ``total``: ``max(1, round-half-up(f * N))``.

    Args:
        fraction (float): Fraction of the training set, in ``(0, 1]``.
        total (int): Size of the training set (positive).

    Returns:
        int: The subset size, in ``[1, total]``.

    Raises:
        ValueError: If ``fraction`` is outside ``(0, 1]`` or ``total`` is not positive.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    if total <= 0:
        raise ValueError(f'total must be positive, got {total}')
    return min(total, max(1, math.floor(fraction * total + 0.5)))


def small_sample_subsets(names: Sequence[str], fractions: Sequence[float],
                         seed: int) -> Dict[float, List[str]]:
    """Nested seeded subsets of ``names``, one per fraction.

    Args:
        names (Sequence[str]): Training sample names (unique); their order does not matter.
        fractions (Sequence[float]): Fractions in ``(0, 1]``, e.g. ``(0.01, 0.03, 0.05)``.
        seed (int): Seed of the permutation (NumPy ``default_rng``).

    Returns:
        Dict[float, List[str]]: Fraction -> its sorted names; a smaller fraction's names are a
        subset of a larger one's. The same names and seed always give the same subsets.

    Raises:
        ValueError: If ``names`` is empty or has duplicates, or a fraction is out of range.
    """
    ordered = sorted(names)
    if not ordered:
        raise ValueError('no training samples to draw from')
    if len(set(ordered)) != len(ordered):
        raise ValueError('duplicate sample names')
    order = np.random.default_rng(seed).permutation(len(ordered))
    shuffled = [ordered[i] for i in order]
    return {f: sorted(shuffled[:subset_size(f, len(ordered))]) for f in fractions}


def list_samples(img_dir: str, img_suffix: str) -> List[str]:
    """Names (file name less ``img_suffix``) of the images in ``img_dir``, sorted.

    Args:
        img_dir (str): Folder of the training images (e.g. ``data/potsdam/img_dir/train``).
        img_suffix (str): Image file suffix, e.g. ``'.png'``.

    Returns:
        List[str]: Sorted names.

    Raises:
        FileNotFoundError: If ``img_dir`` is missing or holds no ``*<img_suffix>`` file.
    """
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'{img_dir}: folder not found')
    names = sorted(n[:-len(img_suffix)] for n in os.listdir(img_dir)
                   if n.endswith(img_suffix) and len(n) > len(img_suffix))
    if not names:
        raise FileNotFoundError(f'{img_dir}: no *{img_suffix} images')
    return names


def split_file_name(fraction: float, prefix: str = 'train') -> str:
    """File name of a fraction's split file: ``0.01`` -> ``train_1pct.txt``.

    Args:
        fraction (float): Fraction in ``(0, 1]``.
        prefix (str): Name prefix. Defaults to ``'train'``.

    Returns:
        str: ``<prefix>_<percent>pct.txt`` (percent without trailing zeros, ``0.005`` ->
        ``0.5pct``).
    """
    return f'{prefix}_{round(fraction * 100, 6):g}pct.txt'
