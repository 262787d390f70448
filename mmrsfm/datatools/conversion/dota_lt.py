"""DOTA-LT: object crops of DOTA-v1.0 for long-tailed classification (debLoRA).

The debLoRA paper classifies DOTA-v1.0 objects cut out of the full images; neither the paper nor
the authors' release states how the crops were made, so the rule below is ours (every number is
an option of :func:`plan_dota_lt` and of ``tools/dataset_converters/dota_lt.py``):

1. The object's horizontal box: the bounds of its four corners, clipped to the image. An object
   with no area inside the image is dropped (counted as ``outside``).
2. Context margin: each side moves out by ``margin`` x the box's width (left / right) or height
   (top / bottom); default 0.1, so the classifier sees the object and a thin ring of its
   surroundings, the way object-level classification sets are usually cut.
3. Minimum size: a side shorter than ``min_size`` px (default 32) grows to ``min_size`` about
   the box centre, so the smallest objects (vehicles) keep some context when resized to the
   model's input.
4. Clipping: the box is clipped to the image; where that leaves a side shorter than
   ``min(min_size, image side)``, the box is shifted back inside the image instead.

Pixel boxes are integers ``(x0, y0, x1, y1)`` with ``x1`` / ``y1`` exclusive: ``x0 = floor(left)``,
``x1 = ceil(right)``. Difficult objects (DOTA's flag 1) are kept by default: the flag marks
objects that are hard to localise, and DOTA's detection evaluation ignores them for that reason,
but their class label is as valid as any other and tail classes need every sample
(``difficult='skip'`` drops them).

Splits: ``test`` holds every crop of DOTA-v1.0 ``val`` (the DOTA test labels are not public);
``val`` is a seeded, per-class hold-out of the crops of DOTA ``train``: for each class (in label
order), its crops sorted by (image, line) are permuted by one NumPy generator seeded with
``seed`` and the first ``floor(val_fraction x n + 0.5)`` go to ``val``; ``train`` keeps the
rest. The hold-out is per object, so crops of one image can land in both ``train`` and ``val``.

Output (the layout ``configs/deblora/_base_/dota-lt_crops.py`` reads with mmpretrain's
``CustomDataset``, one folder per class; labels are the sorted class names)::

    OUT/{train,val,test}/<class>/<image id>_L<line>.png     e.g. OUT/train/plane/P0000_L0003.png
    OUT/dota_lt_stats.json                                  settings, counts, groups, ratios

Every split gets all 15 class folders (an empty one included), since ``CustomDataset`` numbers
the folders it finds. Nothing else is written inside the split folders.
"""
from __future__ import annotations

import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmrsfm.datasets.formats import DOTA_V1_CLASSES, read_dota_objects

from .resumable import atomic_write_image, read_image

#: DOTA-LT classes in label order: the 15 DOTA-v1.0 classes sorted, as ``CustomDataset`` numbers
#: class folders (the ``classes`` of ``configs/deblora/_base_/dota-lt_crops.py``).
DOTA_LT_CLASSES = tuple(sorted(DOTA_V1_CLASSES))
#: debLoRA's DOTA-LT groups (authors' code, ``docs/methods.md`` section 4; the ``class_groups``
#: of the config's metainfo that ``LongTailF1`` and ``cluster_features.py`` read). Classes in
#: neither group are ``middle``.
DOTA_LT_GROUPS = {
    'head': ('large-vehicle', 'ship', 'small-vehicle'),
    'tail': ('baseball-diamond', 'basketball-court', 'ground-track-field', 'helicopter',
             'roundabout', 'soccer-ball-field'),
}
#: The output splits and the DOTA-v1.0 folder each one is cut from.
DOTA_LT_SOURCES = {'train': 'train', 'val': 'train', 'test': 'val'}
STATS_FILE = 'dota_lt_stats.json'
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
DIFFICULT_MODES = ('keep', 'skip')

Box = Tuple[int, int, int, int]


@dataclass
class CropItem:
    """One object crop to write.

    Attributes:
        split (str): Output split, ``train`` / ``val`` / ``test``.
        name (str): Class name (the output folder).
        image (str): Source image path.
        line (int): 1-based line of the object in its annotation file.
        box (Tuple[int, int, int, int]): Pixel box ``(x0, y0, x1, y1)``, ``x1``/``y1`` exclusive.
    """
    split: str
    name: str
    image: str
    line: int
    box: Box

    @property
    def rel_path(self) -> str:
        """str: The crop's path relative to the output root."""
        return osp.join(self.split, self.name, crop_file_name(self.image, self.line))


def crop_file_name(image: str, line: int) -> str:
    """File name of the crop of the object on ``line`` of ``image``'s annotation file.

    Args:
        image (str): Source image path (its id is the file name without suffix).
        line (int): 1-based annotation line of the object.

    Returns:
        str: ``'<image id>_L<line, 4 digits>.png'``, e.g. ``'P0000_L0003.png'``.
    """
    return f'{osp.splitext(osp.basename(image))[0]}_L{line:04d}.png'


def _fit_side(lo: float, hi: float, min_size: int, limit: int) -> Tuple[int, int]:
    lo, hi = math.floor(lo), math.ceil(hi)
    if hi - lo < min_size:  # grow about the centre
        lo -= (min_size - (hi - lo)) // 2
        hi = lo + min_size
    lo, hi = max(lo, 0), min(hi, limit)
    need = min(min_size, limit)
    if hi - lo < need:  # clipped below the minimum: shift back inside instead
        if lo == 0:
            hi = need
        else:
            lo = limit - need
    return lo, hi


def crop_box(poly: np.ndarray,
             width: int,
             height: int,
             margin: float = 0.1,
             min_size: int = 32) -> Optional[Box]:
    """Pixel box of an object's crop: its horizontal box plus a margin, at least ``min_size``.

    Args:
        poly (np.ndarray): Corners (4, 2) in pixels of the full image.
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        margin (float): Context added on each side, as a fraction of the box's width (left and
            right) or height (top and bottom). Defaults to 0.1.
        min_size (int): Minimum crop side in pixels (smaller when the image is). Defaults to 32.

    Returns:
        Tuple[int, int, int, int], optional: ``(x0, y0, x1, y1)`` with ``x1``/``y1`` exclusive,
        inside the image; ``None`` when the object has no area inside the image.

    Raises:
        ValueError: If ``margin`` is negative or ``min_size`` is below 1.

    Examples:
        >>> poly = np.array([[100, 50], [140, 50], [140, 70], [100, 70]], dtype=float)
        >>> crop_box(poly, 512, 512, margin=0.1, min_size=32)
        (96, 44, 144, 76)
    """
    if margin < 0 or min_size < 1:
        raise ValueError(f'margin must be >= 0 and min_size >= 1, got {margin}, {min_size}')
    poly = np.asarray(poly, dtype=np.float64).reshape(4, 2)
    x0, y0 = np.maximum(poly.min(axis=0), 0)
    x1, y1 = np.minimum(poly.max(axis=0), (width, height))
    if x1 <= x0 or y1 <= y0:
        return None
    w, h = x1 - x0, y1 - y0
    left, right = _fit_side(x0 - margin * w, x1 + margin * w, min_size, width)
    top, bottom = _fit_side(y0 - margin * h, y1 + margin * h, min_size, height)
    return int(left), int(top), int(right), int(bottom)


def image_size(path: str) -> Tuple[int, int]:
    """Width and height of an image from its header (no decoding; any size).

    Args:
        path (str): Image file.

    Returns:
        Tuple[int, int]: ``(width, height)`` in pixels.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file is not a readable image.
    """
    from PIL import Image
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image file not found')
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # DOTA has images of 20,000 px and more a side
    try:
        with Image.open(path) as image:
            return image.size
    except OSError as err:
        raise ValueError(f'{path}: not a readable image ({err})') from None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def list_labelled_images(split_dir: str, ann_subdir: str = 'labelTxt') -> List[Tuple[str, str]]:
    """The images of a DOTA split folder with their annotation files, sorted by name.

    Args:
        split_dir (str): A DOTA split, ``<split_dir>/images/*.png`` and
            ``<split_dir>/<ann_subdir>/*.txt``.
        ann_subdir (str): Annotation folder name. Defaults to ``'labelTxt'``.

    Returns:
        List[Tuple[str, str]]: ``(image path, annotation path)`` pairs.

    Raises:
        FileNotFoundError: If the image folder is missing or empty, or an image has no
            annotation file (naming both).
    """
    img_dir = osp.join(split_dir, 'images')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'{img_dir}: image folder not found')
    pairs = []
    for name in sorted(os.listdir(img_dir)):
        if not name.lower().endswith(IMAGE_SUFFIXES):
            continue
        ann = osp.join(split_dir, ann_subdir, osp.splitext(name)[0] + '.txt')
        if not osp.isfile(ann):
            raise FileNotFoundError(f'{ann}: annotation of image {osp.join(img_dir, name)} '
                                    'not found')
        pairs.append((osp.join(img_dir, name), ann))
    if not pairs:
        raise FileNotFoundError(f'{img_dir}: no images ({", ".join(IMAGE_SUFFIXES)})')
    return pairs


def collect_crops(split_dir: str,
                  split: str,
                  margin: float = 0.1,
                  min_size: int = 32,
                  difficult: str = 'keep',
                  ann_subdir: str = 'labelTxt') -> Tuple[List[CropItem], Dict[str, int]]:
    """The crops of every object of one DOTA split folder, all assigned to ``split``.

    Annotations are read with :func:`~mmrsfm.datasets.formats.read_dota_objects` against the
    15 DOTA-v1.0 classes: a malformed line or a class outside them stops with file:line.

    Args:
        split_dir (str): DOTA split folder (``images/`` and ``<ann_subdir>/``).
        split (str): Output split the crops are assigned to.
        margin (float): See :func:`crop_box`. Defaults to 0.1.
        min_size (int): See :func:`crop_box`. Defaults to 32.
        difficult (str): ``'keep'`` or ``'skip'`` difficult objects. Defaults to ``'keep'``.
        ann_subdir (str): Annotation folder name. Defaults to ``'labelTxt'``.

    Returns:
        Tuple[List[CropItem], Dict[str, int]]: The crops in (image, line) order, and the
        objects left out: ``{'difficult': n, 'outside': n}``.

    Raises:
        ValueError: If ``difficult`` is not ``'keep'`` or ``'skip'``.
        AnnotationError: (a ``ValueError``) naming file and line of a bad annotation line.
        FileNotFoundError: See :func:`list_labelled_images`.
    """
    if difficult not in DIFFICULT_MODES:
        raise ValueError(f'difficult must be one of {DIFFICULT_MODES}, got {difficult!r}')
    items, skipped = [], {'difficult': 0, 'outside': 0}
    for image, ann in list_labelled_images(split_dir, ann_subdir):
        objects = read_dota_objects(ann, DOTA_LT_CLASSES)
        if not objects:
            continue
        width, height = image_size(image)
        for obj in objects:
            if obj.difficult and difficult == 'skip':
                skipped['difficult'] += 1
                continue
            box = crop_box(obj.poly, width, height, margin, min_size)
            if box is None:
                skipped['outside'] += 1
                continue
            items.append(CropItem(split, obj.name, image, obj.line, box))
    return items, skipped


def hold_out(items: Sequence[CropItem], fraction: float, seed: int = 0) -> List[CropItem]:
    """Move a seeded, per-class ``fraction`` of training crops to ``val``.

    Args:
        items (Sequence[CropItem]): Crops of DOTA ``train`` (split ``'train'``).
        fraction (float): Share of each class held out, in [0, 1).
        seed (int): Seed of the NumPy generator. Defaults to 0.

    Returns:
        List[CropItem]: The same crops in the same order, ``floor(fraction x n_c + 0.5)`` of
        each class ``c`` (chosen by the seeded permutation) with split ``'val'``.

    Raises:
        ValueError: If ``fraction`` is not in [0, 1).
    """
    if not 0 <= fraction < 1:
        raise ValueError(f'val fraction must be in [0, 1), got {fraction}')
    rng = np.random.default_rng(seed)
    out = list(items)
    for name in DOTA_LT_CLASSES:
        index = sorted((i for i, it in enumerate(out) if it.name == name),
                       key=lambda i: (osp.basename(out[i].image), out[i].line))
        order = rng.permutation(len(index))
        for k in order[:int(math.floor(fraction * len(index) + 0.5))]:
            it = out[index[k]]
            out[index[k]] = CropItem('val', it.name, it.image, it.line, it.box)
    return out


def class_group(name: str) -> str:
    """The DOTA-LT group of a class (:data:`DOTA_LT_GROUPS`).

    Args:
        name (str): Class name.

    Returns:
        str: ``'head'``, ``'middle'`` or ``'tail'``.
    """
    for group, names in DOTA_LT_GROUPS.items():
        if name in names:
            return group
    return 'middle'


def dota_lt_stats(items: Sequence[CropItem]) -> Dict:
    """Per-class counts per split, groups and imbalance ratios of a crop plan.

    Args:
        items (Sequence[CropItem]): The crops.

    Returns:
        dict: ``classes`` (label order), ``counts`` (split -> class -> crops), ``totals``
        (split -> crops), ``groups`` (group -> class names, the config's ``class_groups``),
        ``class_groups`` (group -> label indices), ``imbalance_ratio`` (max / min training
        count over the classes with training crops; None without any), ``class_imbalance_ratio``
        (class -> ``n_max / n_c`` on train, the ``ir_c`` of debLoRA's calibration; None for a
        class without training crops) and ``missing_train`` (classes without training crops).
    """
    counts = {s: {c: 0 for c in DOTA_LT_CLASSES} for s in DOTA_LT_SOURCES}
    for it in items:
        counts[it.split][it.name] += 1
    train = counts['train']
    present = [n for n in train.values() if n > 0]
    n_max = max(present) if present else 0
    groups = {g: [c for c in DOTA_LT_CLASSES if class_group(c) == g]
              for g in ('head', 'middle', 'tail')}
    return dict(
        classes=list(DOTA_LT_CLASSES),
        counts=counts,
        totals={s: sum(c.values()) for s, c in counts.items()},
        groups=groups,
        class_groups={g: [DOTA_LT_CLASSES.index(c) for c in names]
                      for g, names in groups.items()},
        imbalance_ratio=n_max / min(present) if present else None,
        class_imbalance_ratio={c: (n_max / n if n else None) for c, n in train.items()},
        missing_train=[c for c, n in train.items() if n == 0])


def plan_dota_lt(dota_root: str,
                 val_fraction: float = 0.1,
                 seed: int = 0,
                 margin: float = 0.1,
                 min_size: int = 32,
                 difficult: str = 'keep',
                 ann_subdir: str = 'labelTxt') -> Tuple[List[CropItem], Dict[str, int]]:
    """Every DOTA-LT crop of a DOTA-v1.0 release, with its split (see the module docstring).

    Args:
        dota_root (str): Folder with ``train/`` and ``val/`` (each ``images/`` +
            ``<ann_subdir>/``).
        val_fraction (float): Share of each class of DOTA train held out as ``val``.
            Defaults to 0.1.
        seed (int): Seed of the hold-out. Defaults to 0.
        margin (float): See :func:`crop_box`. Defaults to 0.1.
        min_size (int): See :func:`crop_box`. Defaults to 32.
        difficult (str): ``'keep'`` or ``'skip'``. Defaults to ``'keep'``.
        ann_subdir (str): Annotation folder name. Defaults to ``'labelTxt'``.

    Returns:
        Tuple[List[CropItem], Dict[str, int]]: The crops (DOTA train first, then val), and the
        objects left out by reason, summed over both folders.
    """
    train, skipped = collect_crops(osp.join(dota_root, 'train'), 'train', margin, min_size,
                                   difficult, ann_subdir)
    test, skipped_test = collect_crops(osp.join(dota_root, 'val'), 'test', margin, min_size,
                                       difficult, ann_subdir)
    return (hold_out(train, val_fraction, seed) + test,
            {k: skipped[k] + skipped_test[k] for k in skipped})


def write_image_crops(image: str, crops: Sequence[Tuple[str, Box]]) -> int:
    """Write the crops of one image that do not exist yet (atomically).

    The image is only read when at least one of its crops is missing.

    Args:
        image (str): Source image.
        crops (Sequence[Tuple[str, Tuple[int, int, int, int]]]): ``(output path, box)`` pairs.

    Returns:
        int: The number of crops written.
    """
    todo = [(path, box) for path, box in crops if not osp.isfile(path)]
    if not todo:
        return 0
    pixels = read_image(image)
    for path, (x0, y0, x1, y1) in todo:
        atomic_write_image(path, pixels[y0:y1, x0:x1])
    return len(todo)


def make_split_folders(out_dir: str) -> None:
    """Create ``out_dir/<split>/<class>`` for every split and class (empty ones included).

    Args:
        out_dir (str): Output root.
    """
    for split in DOTA_LT_SOURCES:
        for name in DOTA_LT_CLASSES:
            os.makedirs(osp.join(out_dir, split, name), exist_ok=True)
