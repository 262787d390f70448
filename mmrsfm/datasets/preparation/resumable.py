"""Atomic file writes and per-item completion markers, so preparation tools can be interrupted
and re-run: a finished output is never half-written and finished items are skipped."""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile
from typing import Any

import cv2
import numpy as np


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder + ``os.replace``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix=osp.basename(path))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: str, obj: Any) -> None:
    """Dump ``obj`` as JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(obj))


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
