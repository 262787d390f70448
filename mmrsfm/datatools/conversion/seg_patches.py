"""Sliding-window cropping of large segmentation tiles (image + index label) into patches, as
mmseg's Potsdam and iSAID converters do: windows start every ``stride`` px, the last one of a
row/column ends at the border, and a tile smaller than a window is padded (image with 0, label
with the ignore value)."""
from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Tuple

import numpy as np

from .resumable import atomic_write_image


def window_starts(length: int, size: int, stride: int) -> List[int]:
    """Start offsets of windows of ``size`` every ``stride`` px covering ``length`` px.

    Args:
        length (int): Length to cover (image width or height) in pixels.
        size (int): Window side in pixels.
        stride (int): Step between window starts in pixels.

    Returns:
        List[int]: Increasing start offsets in pixels; the last window ends at ``length``
        (``[0]`` when ``length <= size``).

    Raises:
        ValueError: If ``size`` or ``stride`` is not positive.
    """
    if stride <= 0 or size <= 0:
        raise ValueError(f'size and stride must be positive, got {size}, {stride}')
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def _pad(array: np.ndarray, size: int, value: int) -> np.ndarray:
    height, width = array.shape[:2]
    if height >= size and width >= size:
        return array
    out = np.full((max(height, size), max(width, size)) + array.shape[2:], value, array.dtype)
    out[:height, :width] = array
    return out


def crop_patches(image: np.ndarray,
                 label: Optional[np.ndarray],
                 size: int,
                 stride: int,
                 label_pad: int = 255
                 ) -> Iterator[Tuple[Tuple[int, int, int, int], np.ndarray, Optional[np.ndarray]]]:
    """Yield ``((x0, y0, x1, y1), image patch, label patch or None)``, row-major.

    Args:
        image (np.ndarray): ``(H, W, C)`` tile.
        label (np.ndarray, optional): ``(H, W)`` index label of the tile, or ``None``.
        size (int): Patch side in pixels.
        stride (int): Step between windows in pixels (``size - overlap``).
        label_pad (int): Label value of padding (the ignore index). Defaults to 255.

    Yields:
        Tuple[Tuple[int, int, int, int], np.ndarray, np.ndarray | None]: The window
        ``(x0, y0, x1, y1)`` in pixels of the (padded) tile, the ``(size, size, C)`` image
        patch and the ``(size, size)`` label patch (``None`` without a label).

    Raises:
        ValueError: If ``label`` and ``image`` differ in height or width.
    """
    if label is not None and label.shape[:2] != image.shape[:2]:
        raise ValueError(f'label shape {label.shape[:2]} differs from image shape '
                         f'{image.shape[:2]}')
    image = _pad(image, size, 0)
    label = _pad(label, size, label_pad) if label is not None else None
    height, width = image.shape[:2]
    for y0 in window_starts(height, size, stride):
        for x0 in window_starts(width, size, stride):
            box = (x0, y0, x0 + size, y0 + size)
            yield (box, image[y0:y0 + size, x0:x0 + size],
                   label[y0:y0 + size, x0:x0 + size] if label is not None else None)


def write_patches(image: np.ndarray,
                  label: Optional[np.ndarray],
                  size: int,
                  stride: int,
                  paths: Callable[[Tuple[int, int, int, int]], Tuple[str, Optional[str]]],
                  label_pad: int = 255) -> int:
    """Crop a tile and write every patch (atomically) to the paths given by ``paths(box)``.

    Args:
        image (np.ndarray): ``(H, W, 3)`` BGR tile.
        label (np.ndarray, optional): ``(H, W)`` uint8 index label or ``None``.
        size (int): Patch side in pixels.
        stride (int): Step between windows in pixels (``size - overlap``).
        paths (Callable): ``(x0, y0, x1, y1)`` -> ``(image path, label path or None)``; the
            suffix of a path picks the image format.
        label_pad (int): Label value of padding (the ignore index). Defaults to 255.

    Returns:
        int: Number of patches written.

    Raises:
        ValueError: If the label and image shapes differ or a patch cannot be encoded.
    """
    count = 0
    for box, img_patch, lbl_patch in crop_patches(image, label, size, stride, label_pad):
        img_path, ann_path = paths(box)
        atomic_write_image(img_path, img_patch)
        if lbl_patch is not None and ann_path is not None:
            atomic_write_image(ann_path, lbl_patch)
        count += 1
    return count
