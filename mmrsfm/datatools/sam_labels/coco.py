"""SAMRS instances as COCO JSON (the format mmdet's ``CocoDataset`` and pycocotools read).

Conventions of the files written here:

* ``category_id = class index + 1`` (the value in the ``gray/`` PNG plus one); category names are
  the subset's class list in order.
* ``segmentation`` is a compressed COCO RLE (``counts`` as an ASCII string), ``area`` its pixel
  count, ``bbox`` ``[x, y, w, h]`` the detection box SAM was prompted with (the annotated box,
  not the mask's bounding box: the human box is the better detection target).
* Per-image records (``instances/<stem>.json`` of the label generator) hold ``file_name``,
  ``height``, ``width`` and ``annotations`` without ids; :func:`build_coco` numbers them.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils


def encode_mask(mask: np.ndarray) -> dict:
    """Compressed COCO RLE of an ``(H, W)`` binary mask, JSON-ready (``counts`` a str).

    Args:
        mask (np.ndarray): ``(H, W)`` bool or 0/1 mask.

    Returns:
        dict: ``{'size': [H, W], 'counts': str}``.
    """
    rle = mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def instance_annotation(rle: dict, label: int, box_xyxy: Sequence[float],
                        **extra) -> dict:
    """One COCO annotation (no ids yet) from an RLE mask, a class index and an xyxy box.

    Args:
        rle (dict): COCO RLE of the mask, as :func:`encode_mask` returns it.
        label (int): Class index (0-based); the annotation's ``category_id`` is ``label + 1``.
        box_xyxy (Sequence[float]): ``x1, y1, x2, y2`` of the box in pixels.
        **extra: Further keys of the annotation (e.g. ``sam_score``).

    Returns:
        dict: ``category_id``, ``segmentation`` (the RLE), ``area`` (mask pixels), ``bbox``
        ``[x, y, w, h]`` in pixels, ``iscrowd`` 0 and the ``extra`` keys.
    """
    x1, y1, x2, y2 = (float(v) for v in box_xyxy)
    ann = dict(category_id=int(label) + 1, segmentation=rle,
               area=int(mask_utils.area(rle)), bbox=[x1, y1, x2 - x1, y2 - y1], iscrowd=0)
    ann.update(extra)
    return ann


def coco_categories(classes: Sequence[str]) -> List[dict]:
    """COCO ``categories`` of a class list, ids from 1 in list order.

    Args:
        classes (Sequence[str]): Class names in index order.

    Returns:
        List[dict]: ``{'id': i + 1, 'name': classes[i], 'supercategory': 'none'}`` per class.
    """
    return [dict(id=i + 1, name=name, supercategory='none') for i, name in enumerate(classes)]


def build_coco(records: Iterable[dict], classes: Sequence[str],
               info: Optional[dict] = None) -> dict:
    """A COCO instances dict from per-image records, images and annotations numbered from 1.

    Args:
        records (Iterable[dict]): Per-image records with ``file_name``, ``height``, ``width``
            (pixels) and ``annotations`` (without ids), in image order.
        classes (Sequence[str]): Class names in index order.
        info (dict, optional): The COCO ``info`` entry. Defaults to None (an empty dict).

    Returns:
        dict: COCO ``info``, ``images``, ``annotations`` and ``categories``.

    Raises:
        ValueError: Naming the image of an annotation whose ``category_id`` is outside
            ``1..len(classes)``.
    """
    coco = dict(info=info or {}, images=[], annotations=[], categories=coco_categories(classes))
    next_ann = 1
    for image_id, record in enumerate(records, start=1):
        coco['images'].append(dict(id=image_id, file_name=record['file_name'],
                                   height=int(record['height']), width=int(record['width'])))
        for ann in record['annotations']:
            if not 1 <= ann['category_id'] <= len(classes):
                raise ValueError(f'{record["file_name"]}: category_id {ann["category_id"]} is '
                                 f'outside 1..{len(classes)}')
            coco['annotations'].append(dict(ann, id=next_ann, image_id=image_id))
            next_ann += 1
    return coco


def merge_coco(datasets: Sequence[dict]) -> dict:
    """Merge COCO instance dicts with the same categories into one, ids renumbered from 1.

    Args:
        datasets (Sequence[dict]): COCO instance dicts; categories are matched by name, the
            ``info`` of the first one is kept.

    Returns:
        dict: The merged COCO dict.

    Raises:
        ValueError: Different category lists, or an image ``file_name`` present twice.
    """
    if not datasets:
        raise ValueError('nothing to merge')
    categories = datasets[0]['categories']
    records: Dict[str, dict] = {}
    for n, coco in enumerate(datasets):
        if [c['name'] for c in coco['categories']] != [c['name'] for c in categories]:
            raise ValueError(f'dataset {n} has other categories than dataset 0')
        cat_map = {c['id']: i + 1 for i, c in enumerate(coco['categories'])}
        by_image: Dict[int, List[dict]] = {img['id']: [] for img in coco['images']}
        for ann in coco['annotations']:
            clean = {k: v for k, v in ann.items() if k not in ('id', 'image_id')}
            clean['category_id'] = cat_map[ann['category_id']]
            by_image[ann['image_id']].append(clean)
        for img in coco['images']:
            if img['file_name'] in records:
                raise ValueError(f'image {img["file_name"]} appears in more than one dataset')
            records[img['file_name']] = dict(img, annotations=by_image[img['id']])
    return build_coco(records.values(), [c['name'] for c in categories],
                      info=datasets[0].get('info'))


def subset_coco(coco: dict, stems: Iterable[str]) -> dict:
    """The images of ``coco`` whose file name (without folder and extension) is in ``stems``,
    with their annotations, ids renumbered.

    Args:
        coco (dict): COCO instances dict.
        stems (Iterable[str]): Image stems to keep.

    Returns:
        dict: A COCO dict with the same categories and ``info``, in the image order of
        ``coco``.
    """
    keep = set(stems)
    records = []
    by_image: Dict[int, List[dict]] = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        by_image[ann['image_id']].append(
            {k: v for k, v in ann.items() if k not in ('id', 'image_id')})
    for img in coco['images']:
        if osp.splitext(osp.basename(img['file_name']))[0] in keep:
            records.append(dict(img, annotations=by_image[img['id']]))
    return build_coco(records, [c['name'] for c in coco['categories']], info=coco.get('info'))


def read_image_list(path: str) -> List[str]:
    """Image stems of a split file: one name per line (folders and extensions stripped; empty
    lines and ``#`` comments skipped).

    Args:
        path (str): Split file; only the first whitespace-separated field of a line is read.

    Returns:
        List[str]: The stems in file order.
    """
    with open(path) as f:
        return [osp.splitext(osp.basename(line.split()[0]))[0] for line in f
                if line.strip() and not line.lstrip().startswith('#')]
