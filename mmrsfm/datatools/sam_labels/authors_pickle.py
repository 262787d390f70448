"""Readers of the SAMRS authors' per-image instance pickles (``ins/<image>.pkl``).

Layout written by the authors' generation script (``Generate Dataset/main_sam_*_semantic.py``)
and assumed here: a list with one dict per instance::

    {'mask': {'size': [H, W], 'counts': '...'},   # COCO RLE (or an (H, W) binary array)
     'bbox': array([x1, y1, x2, y2]),             # the box SAM was prompted with, pixels
     'category': 'ship',                          # class name (older files: the class index)
     'label': 13,                                 # class index
     'size': 1234}                                # mask area (ignored; recomputed)

Also accepted: a dict holding that list under ``'instances'`` or ``'annotations'``, or a dict of
instance dicts. The class comes from ``category`` when it is a name, else from ``label`` (or an
integer ``category``). A missing key raises :class:`PickleLayoutError` naming the file, the
instance and the key.

Pickles can run code when loaded: only builtins and numpy arrays / scalars are unpickled unless
``trusted=True``.
"""
from __future__ import annotations

import os.path as osp
import pickle
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from ...datasets.formats import ClassMapper
from ...utils.safe_pickle import BUILTIN_GLOBALS, NUMPY_GLOBALS, restricted_load
from .coco import build_coco, encode_mask, instance_annotation


class PickleLayoutError(ValueError):
    """A pickle that does not have the assumed instance layout."""


def load_pickle(path: str, trusted: bool = False) -> Any:
    """Unpickle ``path``: builtins and numpy arrays / scalars only unless ``trusted``.

    Args:
        path (str): Pickle file.
        trusted (bool): Load with plain :func:`pickle.load`, which can run any code the file
            holds; only for files you trust. Defaults to False.

    Returns:
        Any: The unpickled object.

    Raises:
        pickle.UnpicklingError: Naming the file and the first global outside builtins and
            numpy, when not ``trusted``.
    """
    if trusted:
        with open(path, 'rb') as f:
            return pickle.load(f)
    return restricted_load(path, BUILTIN_GLOBALS | NUMPY_GLOBALS,
                           hint='pass trusted=True / --unsafe-load for files you trust')


def _instances_of(data: Any, path: str) -> List[dict]:
    if isinstance(data, dict):
        for key in ('instances', 'annotations'):
            if key in data:
                data = data[key]
                break
        else:
            data = list(data.values())
    if not isinstance(data, (list, tuple)) or not all(isinstance(d, dict) for d in data):
        raise PickleLayoutError(f'{path}: expected a list of instance dicts (or a dict holding '
                                f'one under "instances"/"annotations"), found '
                                f'{type(data).__name__}')
    return list(data)


def _require(inst: dict, key: str, path: str, index: int) -> Any:
    if key not in inst:
        raise PickleLayoutError(f'{path}: instance {index} has no {key!r} key (keys: '
                                f'{sorted(inst)})')
    return inst[key]


def _label_of(inst: dict, mapper: ClassMapper, path: str, index: int) -> Optional[int]:
    category = inst.get('category')
    if isinstance(category, str):
        try:
            return mapper.lookup(category)
        except KeyError:
            raise PickleLayoutError(f'{path}: instance {index} has unknown category '
                                    f'{category!r}') from None
    value = inst.get('label', category)
    if value is None:
        raise PickleLayoutError(f'{path}: instance {index} has neither a "category" nor a '
                                f'"label" key (keys: {sorted(inst)})')
    label = int(value)
    if not 0 <= label < len(mapper.classes):
        raise PickleLayoutError(f'{path}: instance {index} has label {label} outside '
                                f'0..{len(mapper.classes) - 1}')
    return label


def _rle_of(mask: Any, path: str, index: int) -> dict:
    if isinstance(mask, dict):
        if 'size' not in mask or 'counts' not in mask:
            raise PickleLayoutError(f'{path}: instance {index} mask dict is not a COCO RLE '
                                    f'(needs "size" and "counts")')
        counts = mask['counts']
        if isinstance(counts, bytes):
            counts = counts.decode('ascii')
        if isinstance(counts, list):  # uncompressed RLE
            h, w = mask['size']
            rle = mask_utils.frPyObjects(dict(size=[int(h), int(w)], counts=counts), h, w)
            rle['counts'] = rle['counts'].decode('ascii')
            return rle
        return dict(size=[int(v) for v in mask['size']], counts=counts)
    array = np.asarray(mask)
    if array.ndim != 2:
        raise PickleLayoutError(f'{path}: instance {index} mask has shape {array.shape}; '
                                f'expected an RLE dict or an (H, W) array')
    return encode_mask(array != 0)


def read_instance_pickle(path: str, mapper: ClassMapper, bbox_format: str = 'xyxy',
                         trusted: bool = False) -> Tuple[Optional[Tuple[int, int]], List[dict]]:
    """COCO annotations (no ids) of one per-image pickle.

    Args:
        path (str): Per-image pickle (``ins/<image>.pkl``).
        mapper (ClassMapper): Class names -> indices of the target class list.
        bbox_format (str): ``'xyxy'`` (the authors' files) or ``'xywh'``, in pixels.
            Defaults to 'xyxy'.
        trusted (bool): Unpickle without restrictions (see :func:`load_pickle`).
            Defaults to False.

    Returns:
        Tuple[Tuple[int, int] | None, List[dict]]: ``(height, width)`` in pixels from the masks
        (``None`` for a file without instances) and the COCO annotations (see
        :func:`~.coco.instance_annotation`); instances of classes the mapper drops are left
        out.

    Raises:
        ValueError: If ``bbox_format`` is unknown.
        PickleLayoutError: Naming the file (and the instance and key) of a pickle that cannot
            be unpickled or does not have the assumed layout.
    """
    if bbox_format not in ('xyxy', 'xywh'):
        raise ValueError(f'bbox_format must be xyxy or xywh, got {bbox_format!r}')
    try:
        data = load_pickle(path, trusted)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as err:
        raise PickleLayoutError(f'{path}: cannot unpickle ({err})') from err
    size = None
    annotations = []
    for index, inst in enumerate(_instances_of(data, path)):
        rle = _rle_of(_require(inst, 'mask', path, index), path, index)
        box = np.asarray(_require(inst, 'bbox', path, index), dtype=np.float64).reshape(-1)
        if box.size != 4:
            raise PickleLayoutError(f'{path}: instance {index} bbox has {box.size} values, '
                                    f'expected 4')
        if bbox_format == 'xywh':
            box = np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])
        if size is None:
            size = tuple(rle['size'])
        elif tuple(rle['size']) != size:
            raise PickleLayoutError(f'{path}: instance {index} mask size {rle["size"]} differs '
                                    f'from the first instance ({list(size)})')
        label = _label_of(inst, mapper, path, index)
        if label is not None:
            annotations.append(instance_annotation(rle, label, box))
    return size, annotations


def _image_file(stem: str, image_dir: Optional[str], img_suffix: str) -> Tuple[str, Optional[str]]:
    if image_dir is not None:
        for suffix in (img_suffix, '.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp'):
            if osp.isfile(osp.join(image_dir, stem + suffix)):
                return stem + suffix, osp.join(image_dir, stem + suffix)
    return stem + img_suffix, None


def pickles_to_coco(paths: Sequence[str], mapper: ClassMapper, image_dir: Optional[str] = None,
                    img_suffix: str = '.png', bbox_format: str = 'xyxy',
                    trusted: bool = False) -> Tuple[dict, List[str]]:
    """One COCO instances dict from per-image pickles (sorted by file name).

    Image sizes come from the masks, or from the image in ``image_dir`` for a pickle without
    instances. Returns the COCO dict and one error message per file that could not be read
    (those images are left out).

    Args:
        paths (Sequence[str]): Per-image pickles; a pickle's stem is its image's stem.
        mapper (ClassMapper): Class names -> indices of the target class list.
        image_dir (str, optional): Folder of the images, to find their file names and the
            size of images without instances. Defaults to None.
        img_suffix (str): Suffix of the image file names when ``image_dir`` does not have the
            image. Defaults to '.png'.
        bbox_format (str): ``'xyxy'`` or ``'xywh'``. Defaults to 'xyxy'.
        trusted (bool): Unpickle without restrictions (see :func:`load_pickle`).
            Defaults to False.

    Returns:
        Tuple[dict, List[str]]: The COCO instances dict (ids from 1) and the error messages.
    """
    records, errors = [], []
    for path in sorted(paths):
        stem = osp.splitext(osp.basename(path))[0]
        file_name, image_path = _image_file(stem, image_dir, img_suffix)
        try:
            size, annotations = read_instance_pickle(path, mapper, bbox_format, trusted)
            if size is None:
                if image_path is None:
                    raise PickleLayoutError(f'{path}: no instances to take the image size from '
                                            f'and no image {stem}.* found (pass --images)')
                size = Image.open(image_path).size[::-1]
        except (PickleLayoutError, OSError) as err:
            errors.append(str(err))
            continue
        records.append(dict(file_name=file_name, height=size[0], width=size[1],
                            annotations=annotations))
    return build_coco(records, mapper.classes, info=dict(
        description='SAMRS instances converted from the per-image pickles')), errors
