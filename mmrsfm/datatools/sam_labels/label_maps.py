"""Semantic label maps from instance masks: the ``gray/`` (class index) and ``color/`` PNGs.

A label map is ``(H, W)`` uint8: the class index where an instance mask covers the pixel,
:data:`~mmrsfm.datasets.samrs_metainfo.IGNORE_INDEX` (255) elsewhere. Where masks overlap, the
instance painted last wins; the overlap order decides the painting order:

* ``'larger-first'`` (default): paint in decreasing mask area (ties in annotation order), so a
  small object lying on a large one (a vehicle on a bridge, a ship in a harbour) stays visible;
  the result does not depend on the order objects happen to be listed in the file.
* ``'annotation'``: paint in annotation order, later objects overwrite earlier ones - what the
  SAMRS authors' script does; use it to reproduce the released labels.
"""
from __future__ import annotations

import io
from typing import List, Optional, Sequence, Union

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from mmrsfm.datasets.samrs_metainfo import IGNORE_INDEX, make_palette
from mmrsfm.utils import atomic_write_bytes

OVERLAP_ORDERS = ('larger-first', 'annotation')
DEFAULT_OVERLAP_ORDER = 'larger-first'

Mask = Union[np.ndarray, dict]  # (H, W) bool array or a COCO RLE dict


def _mask_area(mask: Mask) -> int:
    if isinstance(mask, dict):
        return int(mask_utils.area(mask))
    return int(np.count_nonzero(mask))


def _decode(mask: Mask) -> np.ndarray:
    if isinstance(mask, dict):
        return mask_utils.decode(mask).astype(bool)
    return np.asarray(mask, dtype=bool)


def paint_order(areas: Sequence[int], order: str = DEFAULT_OVERLAP_ORDER) -> List[int]:
    """Indices of the instances in the order they are painted (the last one wins overlaps).

    Args:
        areas (Sequence[int]): Mask area in pixels per instance.
        order (str): ``'larger-first'`` or ``'annotation'`` (see the module docstring).
            Defaults to ``DEFAULT_OVERLAP_ORDER`` ('larger-first').

    Returns:
        List[int]: A permutation of ``range(len(areas))``.

    Raises:
        ValueError: If ``order`` is not one of ``OVERLAP_ORDERS``.
    """
    if order not in OVERLAP_ORDERS:
        raise ValueError(f'unknown overlap order {order!r}; expected one of {OVERLAP_ORDERS}')
    indices = list(range(len(areas)))
    if order == 'larger-first':
        indices.sort(key=lambda i: -areas[i])  # stable: equal areas keep annotation order
    return indices


def render_semantic(masks: Sequence[Mask], labels: Sequence[int], height: int, width: int,
                    order: str = DEFAULT_OVERLAP_ORDER,
                    areas: Optional[Sequence[int]] = None) -> np.ndarray:
    """Paint instance masks into an ``(H, W)`` uint8 label map (255 where no mask covers).

    Args:
        masks (Sequence[Mask]): One ``(H, W)`` bool array or COCO RLE dict per instance.
        labels (Sequence[int]): Class index (0..254) per instance.
        height (int): Height ``H`` of the label map in pixels.
        width (int): Width ``W`` of the label map in pixels.
        order (str): ``'larger-first'`` or ``'annotation'`` (see the module docstring).
            Defaults to ``DEFAULT_OVERLAP_ORDER`` ('larger-first').
        areas (Sequence[int], optional): Mask areas in pixels if already known (else
            computed). Defaults to None.

    Returns:
        np.ndarray: ``(H, W)`` uint8 label map, ``IGNORE_INDEX`` (255) where no mask covers.

    Raises:
        ValueError: If ``masks`` and ``labels`` differ in length, a label is outside
            ``[0, 255)``, a mask is not ``(H, W)`` or ``order`` is unknown.
    """
    if len(masks) != len(labels):
        raise ValueError(f'{len(masks)} masks but {len(labels)} labels')
    if any(not 0 <= int(label) < IGNORE_INDEX for label in labels):
        raise ValueError(f'class indices must lie in [0, {IGNORE_INDEX}), got {list(labels)}')
    if areas is None:
        areas = [_mask_area(m) for m in masks]
    label_map = np.full((height, width), IGNORE_INDEX, dtype=np.uint8)
    for i in paint_order(areas, order):
        mask = _decode(masks[i])
        if mask.shape != (height, width):
            raise ValueError(f'mask {i} has shape {mask.shape}, expected {(height, width)}')
        label_map[mask] = int(labels[i])
    return label_map


def colorize(label_map: np.ndarray, num_classes: int) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB view of a label map: class colours of
    :func:`~mmrsfm.datasets.samrs_metainfo.make_palette`, black where the value is 255.

    Args:
        label_map (np.ndarray): ``(H, W)`` uint8 class indices.
        num_classes (int): Number of classes; values from ``num_classes`` up are black.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.
    """
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:num_classes] = np.array(make_palette(num_classes), dtype=np.uint8)
    return lut[label_map]


def write_png_atomic(array: np.ndarray, path: str) -> None:
    """Write an ``(H, W)`` uint8 (mode L) or ``(H, W, 3)`` RGB PNG via a temporary file and
    ``os.replace``, so an interrupted run never leaves a truncated PNG.

    Args:
        array (np.ndarray): ``(H, W)`` or ``(H, W, 3)`` uint8 image.
        path (str): Output PNG file.
    """
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format='PNG')
    atomic_write_bytes(path, buffer.getvalue())
