"""Generated image sets with known duplicates, for the tests and the de-duplication benchmark."""
from __future__ import annotations

import io
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageEnhance

NEAR_COPY_KINDS = ('jpeg', 'resize', 'brightness', 'crop')


def smooth_image(rng: np.random.Generator, height: int, width: int) -> Image.Image:
    """A ``width`` x ``height`` RGB image of smooth random structure plus fine texture.

    Coarse random colours (one per 16 px) upsampled bicubically give each image its own
    low-frequency layout, which is what a perceptual hash sees.

    Args:
        rng (np.random.Generator): Source of the random colours and texture.
        height (int): Image height in pixels.
        width (int): Image width in pixels.

    Returns:
        Image.Image: An RGB image.

    Examples:
        >>> smooth_image(np.random.default_rng(0), 48, 64).size
        (64, 48)
    """
    coarse = rng.integers(0, 256, (max(height // 16, 2), max(width // 16, 2), 3), np.uint8)
    image = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BICUBIC),
                       np.int16)
    image = image + rng.integers(-12, 13, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def near_copy(image: Image.Image, kind: str) -> Image.Image:
    """A near copy: JPEG re-encoding (quality 70), a 90% resize, +5% brightness, or a crop of
    4% off each side resized back (the hardest: often 5-15 bits away).

    Args:
        image (Image.Image): The RGB original.
        kind (str): One of :data:`NEAR_COPY_KINDS`: ``'jpeg'``, ``'resize'``,
            ``'brightness'`` or ``'crop'``.

    Returns:
        Image.Image: The near copy (smaller for ``'resize'``, else the original's size).

    Raises:
        ValueError: If ``kind`` is unknown.
    """
    if kind == 'jpeg':
        buffer = io.BytesIO()
        image.save(buffer, 'JPEG', quality=70)
        return Image.open(io.BytesIO(buffer.getvalue())).convert('RGB')
    if kind == 'resize':
        return image.resize((image.width * 9 // 10, image.height * 9 // 10), Image.BILINEAR)
    if kind == 'brightness':
        return ImageEnhance.Brightness(image).enhance(1.05)
    if kind == 'crop':
        w, h = image.size
        box = (w // 25, h // 25, w - w // 25, h - h // 25)
        return image.crop(box).resize((w, h), Image.BILINEAR)
    raise ValueError(f'unknown near-copy kind {kind!r}; use one of {NEAR_COPY_KINDS}')


def write_duplicate_set(folder: str, num_distinct: int, num_exact: int, num_near: int,
                        size: int = 128, seed: int = 0) -> Tuple[List[str], Dict[str, str]]:
    """Write ``num_distinct`` distinct PNGs, plus exact and near copies of some of them.

    Copies go to ``copy_*`` files of originals drawn without replacement; near copies cycle
    through :data:`NEAR_COPY_KINDS`.

    Args:
        folder (str): Output folder; created if needed.
        num_distinct (int): Distinct images (``img_<i>.png``).
        num_exact (int): Exact copies (``copy_exact_<k>.png``), each of another original.
        num_near (int): Near copies (``copy_<kind>_<k>.png``); ``num_exact + num_near`` must
            not exceed ``num_distinct``.
        size (int): Side of the square images in pixels. Defaults to 128.
        seed (int): Seed of the images and of the choice of originals. Defaults to 0.

    Returns:
        tuple[list[str], dict[str, str]]: The file names written (sorted), and
        ``{copy name: original name}``.

    Examples:
        >>> import tempfile
        >>> names, origin = write_duplicate_set(tempfile.mkdtemp(), 4, 1, 1, size=32)
        >>> len(names), sorted(origin)
        (6, ['copy_exact_000000.png', 'copy_jpeg_000001.png'])
    """
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    names, origin = [], {}
    images = {}
    for i in range(num_distinct):
        name = f'img_{i:06d}.png'
        images[name] = smooth_image(rng, size, size)
        images[name].save(osp.join(folder, name))
        names.append(name)
    chosen = rng.choice(num_distinct, num_exact + num_near, replace=False)
    for k, i in enumerate(chosen):
        original = names[i]
        if k < num_exact:
            copy, image = f'copy_exact_{k:06d}.png', images[original]
        else:
            kind = NEAR_COPY_KINDS[(k - num_exact) % len(NEAR_COPY_KINDS)]
            copy, image = f'copy_{kind}_{k:06d}.png', near_copy(images[original], kind)
        image.save(osp.join(folder, copy))
        origin[copy] = original
    return sorted(names + list(origin)), origin


def write_planted_groups(root: str, groups: Sequence[Sequence[Tuple[str, str]]],
                         size: int = 160, seed: int = 0) -> None:
    """Write one distinct original per group, saved under each of the group's paths as itself,
    an exact copy or a near copy.

    Args:
        root (str): Output folder (e.g. a curation ``--src``); sub-folders are created.
        groups (Sequence[Sequence[Tuple[str, str]]]): Per group, ``(path relative to root,
            kind)`` pairs; ``kind`` is ``'original'``, ``'exact'`` or one of
            :data:`NEAR_COPY_KINDS`. A group of one path is a distinct image.
        size (int): Side of the square originals in pixels. Defaults to 160.
        seed (int): Seed of the originals. Defaults to 0.

    Examples:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> write_planted_groups(root, [[('A/x.png', 'original'), ('B/x.png', 'resize')]], 64)
        >>> Image.open(osp.join(root, 'B', 'x.png')).size
        (57, 57)
    """
    rng = np.random.default_rng(seed)
    for group in groups:
        original = smooth_image(rng, size, size)
        for rel, kind in group:
            image = original if kind in ('original', 'exact') else near_copy(original, kind)
            path = osp.join(root, rel)
            os.makedirs(osp.dirname(path), exist_ok=True)
            image.save(path)
