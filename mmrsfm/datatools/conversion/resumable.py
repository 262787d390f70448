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
    """Encode ``image`` (BGR or single-channel, uint8) by the suffix of ``path``, atomically.

    Args:
        path (str): Output file; its suffix picks the format (PNG when it has none).
        image (np.ndarray): ``(H, W, 3)`` BGR or ``(H, W)`` uint8 image.

    Raises:
        ValueError: Naming the file if OpenCV cannot encode the image.
    """
    try:
        ok, buf = cv2.imencode(osp.splitext(path)[1] or '.png', np.ascontiguousarray(image))
    except cv2.error:
        ok = False
    if not ok:
        raise ValueError(f'{path}: OpenCV could not encode an image of shape {image.shape}')
    atomic_write_bytes(path, buf.tobytes())


def read_image(path: str, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Read an image with OpenCV; a missing or unreadable file raises an error naming it.

    Args:
        path (str): Image file.
        flags (int): ``cv2.imread`` flags. Defaults to ``cv2.IMREAD_COLOR`` (3-channel BGR).

    Returns:
        np.ndarray: The image, ``(H, W, 3)`` BGR uint8 with the default flags.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file is not a readable image.
    """
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
        out_dir (str): Output folder of the tool; markers go to its ``.done`` subfolder.
    """

    def __init__(self, out_dir: str) -> None:
        self.folder = osp.join(out_dir, '.done')

    def _path(self, key: str) -> str:
        return osp.join(self.folder, key.replace(os.sep, '_'))

    def is_done(self, key: str) -> bool:
        """Whether the item ``key`` was marked as finished.

        Args:
            key (str): Item key (path separators are replaced by ``_`` in the marker name).

        Returns:
            bool: True if the marker file of ``key`` exists.
        """
        return osp.isfile(self._path(key))

    def mark(self, key: str, info: Any = None) -> None:
        """Mark the item ``key`` as finished; call it after all its outputs are written.

        Args:
            key (str): Item key.
            info (Any): JSON-serialisable details kept in the marker (e.g. the names of the
                written files), read back by :meth:`load`. Defaults to None.
        """
        atomic_write_json(self._path(key), info)

    def load(self, key: str) -> Any:
        """The ``info`` stored by :meth:`mark` for ``key``.

        Args:
            key (str): Item key.

        Returns:
            Any: The JSON value written by :meth:`mark`.

        Raises:
            FileNotFoundError: If ``key`` was never marked.
        """
        with open(self._path(key)) as f:
            return json.load(f)
