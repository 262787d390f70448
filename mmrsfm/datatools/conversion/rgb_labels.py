"""Colour-coded label images -> class-index maps, by exact colour lookup."""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np


def _keys(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def rgb_to_index(label_rgb: np.ndarray,
                 palette: Sequence[Tuple[int, int, int]],
                 unknown_value: int = 255) -> Tuple[np.ndarray, int]:
    """Map each pixel's colour to its index in ``palette``.

    Args:
        label_rgb (np.ndarray): ``(H, W, 3)`` uint8 label image in **RGB** order.
        palette (Sequence[Tuple[int, int, int]]): Colour of index ``i`` at position ``i``,
            RGB; at most 256 colours, all different.
        unknown_value (int): Value written where the colour is not in the palette.
            Defaults to 255.

    Returns:
        Tuple[np.ndarray, int]: The ``(H, W)`` uint8 index map and the number of pixels with
        an unknown colour.

    Raises:
        ValueError: If ``label_rgb`` is not ``(H, W, 3)`` or the palette repeats a colour.
    """
    if label_rgb.ndim != 3 or label_rgb.shape[2] != 3:
        raise ValueError(f'expected an (H, W, 3) colour label, got shape {label_rgb.shape}')
    colours = _keys(np.asarray(palette, dtype=np.int64).reshape(-1, 3))
    if len(np.unique(colours)) != len(colours):
        raise ValueError('palette has repeated colours')
    order = np.argsort(colours)
    sorted_colours = colours[order]
    keys = _keys(label_rgb)
    pos = np.clip(np.searchsorted(sorted_colours, keys), 0, len(sorted_colours) - 1)
    known = sorted_colours[pos] == keys
    out = np.full(keys.shape, unknown_value, dtype=np.uint8)
    out[known] = order[pos[known]]
    return out, int((~known).sum())
