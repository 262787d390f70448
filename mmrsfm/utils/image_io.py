"""Reading user images with errors that name the file: missing, empty (0 bytes), truncated and
non-image files all end in one exception type.

OpenCV reports an empty file as ``cv2.error: ... !buf.empty() in function 'imdecode_'`` and a
non-image file by returning ``None``; Pillow raises ``OSError`` subclasses; mmcv's
``LoadImageFromFile`` asserts. :data:`UNREADABLE_IMAGE_ERRORS` lists what reading a bad file
raises through any of them, so callers that skip bad images catch all of them and nothing else.
"""
from __future__ import annotations

import os.path as osp
from typing import Tuple

import cv2
import numpy as np

#: Exceptions raised while reading or decoding an unreadable image file (any backend).
UNREADABLE_IMAGE_ERRORS: Tuple[type, ...] = (OSError, ValueError, AssertionError, cv2.error)


class UnreadableImageError(ValueError):
    """An image file that is empty or cannot be decoded; the message names the file."""


def unreadable_reason(path: str, err: BaseException) -> str:
    """A short reason why ``path`` could not be read, for warnings and errors.

    Args:
        path (str): The image file.
        err (BaseException): The error reading it raised.

    Returns:
        str: ``'missing file'``, ``'empty file (0 bytes)'`` or the error's type and message.
    """
    if not osp.exists(path):
        return 'missing file'
    if osp.isfile(path) and osp.getsize(path) == 0:
        return 'empty file (0 bytes)'
    return f'{type(err).__name__}: {err}'.strip()


def read_image(path: str, channel_order: str = 'rgb') -> np.ndarray:
    """Read an image file as an (H, W, 3) uint8 array, or raise an error naming the file.

    Args:
        path (str): The image file.
        channel_order (str): ``'rgb'`` or ``'bgr'``. Defaults to ``'rgb'``.

    Returns:
        np.ndarray: The decoded image.

    Raises:
        FileNotFoundError: ``path`` does not exist or is not a file.
        UnreadableImageError: ``path`` is empty, truncated or not an image.
    """
    import mmcv
    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} does not exist or is not a file')
    if osp.getsize(path) == 0:
        raise UnreadableImageError(f'cannot read image {path}: empty file (0 bytes)')
    try:
        image = mmcv.imread(path, channel_order=channel_order)
    except UNREADABLE_IMAGE_ERRORS as err:  # e.g. a truncated PNG fails in cv2.cvtColor
        detail = ' '.join(str(err).split())
        raise UnreadableImageError(f'cannot read image {path}: not a decodable image '
                                   f'({osp.getsize(path)} bytes; {type(err).__name__}: '
                                   f'{detail})') from err
    if image is None:
        raise UnreadableImageError(f'cannot read image {path}: not a decodable image '
                                   f'({osp.getsize(path)} bytes)')
    return image
