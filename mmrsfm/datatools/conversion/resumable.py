"""Atomic file writes and per-item completion markers, so preparation tools can be interrupted
and re-run: a finished output is never half-written and finished items are skipped."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Any

import cv2
import numpy as np

from mmrsfm.utils.atomic_io import (atomic_write_bytes, atomic_write_json,  # noqa: F401
                                    atomic_write_text)


def atomic_write_image(path: str, image: np.ndarray) -> None:
    """Encode ``image`` (BGR or single-channel, uint8) by the suffix of ``path``, atomically."""
    try:
        ok, buf = cv2.imencode(osp.splitext(path)[1] or '.png', np.ascontiguousarray(image))
    except cv2.error:
        ok = False
    if not ok:
        raise ValueError(f'{path}: OpenCV could not encode an image of shape {image.shape}')
    atomic_write_bytes(path, buf.tobytes())


def read_image(path: str, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Read an image with OpenCV; a missing or unreadable file raises an error naming it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image file not found')
    image = cv2.imread(path, flags)
    if image is None:
        raise ValueError(f'{path}: not a readable image (corrupt or unsupported format)')
    return image


class DoneMarkers:
    """Completion markers ``<out_dir>/.done/<key>`` for items that produce several files.

    An item is marked only after all its outputs are written, so an interrupted item is redone
    on the next run and a finished one is skipped.

    Args:
        out_dir: Output folder of the tool.
    """

    def __init__(self, out_dir: str) -> None:
        self.folder = osp.join(out_dir, '.done')

    def _path(self, key: str) -> str:
        return osp.join(self.folder, key.replace(os.sep, '_'))

    def is_done(self, key: str) -> bool:
        return osp.isfile(self._path(key))

    def mark(self, key: str, info: Any = None) -> None:
        atomic_write_json(self._path(key), info)

    def load(self, key: str) -> Any:
        with open(self._path(key)) as f:
            return json.load(f)
