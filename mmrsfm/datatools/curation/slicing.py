"""Random slicing of large images into crops, reproducible per image and per seed."""
from __future__ import annotations

import hashlib
import io
import math
import os.path as osp
from typing import List, Tuple

import numpy as np
from PIL import Image

from mmrsfm.utils.atomic_io import atomic_write_bytes

Box = Tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive


def slice_boxes(width: int, height: int, size: int, seed: int, key: str) -> List[Box]:
    """Random crop boxes for a ``width`` x ``height`` image.

    As many crops as square tiles of side ``size`` needed to cover the image
    (``ceil(W / size) * ceil(H / size)``), each of ``min(size, W)`` x ``min(size, H)`` pixels at
    a uniformly random position, so crops may overlap and a few pixels may stay uncovered. The
    random generator is seeded with ``seed`` and a hash of ``key`` (the image's path), so a
    rerun, or another worker, draws the same boxes. Repeated boxes are dropped.

    Args:
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        size (int): Crop side in pixels.
        seed (int): Seed of the run.
        key (str): Identity of the image (its path relative to the source root).

    Returns:
        List[Box]: Distinct ``(x0, y0, x1, y1)`` boxes in pixels (``x1``/``y1`` exclusive),
        in drawing order.
    """
    digest = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], 'big')
    rng = np.random.default_rng([seed, digest])
    num = math.ceil(width / size) * math.ceil(height / size)
    crop_w, crop_h = min(size, width), min(size, height)
    xs = rng.integers(0, width - crop_w + 1, num)
    ys = rng.integers(0, height - crop_h + 1, num)
    boxes = dict.fromkeys((int(x), int(y), int(x) + crop_w, int(y) + crop_h)
                          for x, y in zip(xs, ys))
    return list(boxes)


def slice_path(rel: str, box: Box, ext: str) -> str:
    """Output path (relative, posix) of a crop: ``slices/<rel without suffix>__x.._y.._WxH.ext``.

    Args:
        rel (str): Path of the source image relative to the source root (posix).
        box (Box): ``(x0, y0, x1, y1)`` of the crop in pixels.
        ext (str): Suffix of the crop without the dot, e.g. ``'png'``.

    Returns:
        str: ``slices/<stem>__x<x0>_y<y0>_<W>x<H>.<ext>``.
    """
    stem = osp.splitext(rel)[0]
    x0, y0, x1, y1 = box
    return f'slices/{stem}__x{x0}_y{y0}_{x1 - x0}x{y1 - y0}.{ext}'


def write_crop(image: Image.Image, box: Box, path: str) -> Image.Image:
    """Crop ``image`` to ``box`` and write it to ``path`` atomically; returns the crop.

    Args:
        image (Image.Image): Decoded image.
        box (Box): ``(x0, y0, x1, y1)`` in pixels.
        path (str): Output file: JPEG (quality 95) for ``.jpg``/``.jpeg``, else PNG.

    Returns:
        Image.Image: The cropped image.
    """
    crop = image.crop(box)
    buffer = io.BytesIO()
    if path.lower().endswith(('.jpg', '.jpeg')):
        crop.save(buffer, format='JPEG', quality=95)
    else:
        crop.save(buffer, format='PNG')
    atomic_write_bytes(path, buffer.getvalue())
    return crop
