"""DIOR VOC XML (horizontal boxes) -> COCO JSON, for detectors that read COCO annotations.

Categories are the 20 DIOR classes in :data:`mmrsfm.datasets.DIOR_CLASSES` order with ids
1..20; class names match case-insensitively (the release writes e.g.
``Expressway-Service-area``). Boxes follow mmdet's ``XMLDataset`` convention so both routes
give the same pixels: VOC corners are 1-based and inclusive, ``x1 = xmin - 1``,
``y1 = ymin - 1``, COCO ``[x1, y1, xmax - xmin, ymax - ymin]``. A degenerate box (zero or
negative width or height) is kept with ``iscrowd=1`` (an ignore region) and reported.
``file_name`` is relative to the DIOR root (``JPEGImages-trainval/00001.jpg``); every image it
names must exist, so a COCO file never points at images the detector cannot load.
"""
from __future__ import annotations

import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Tuple

from mmrsfm.datasets.dior import DIOR_CLASSES

HBB_SUBDIR = osp.join('Annotations', 'Horizontal Bounding Boxes')


def parse_dior_xml(xml_path: str,
                   classes: Sequence[str] = DIOR_CLASSES) -> Tuple[int, int, List[dict]]:
    """Image size and objects of one DIOR XML file.

    Returns:
        ``(width, height, objects)`` with objects ``{'label': 0-based index, 'xyxy': [xmin,
        ymin, xmax, ymax] (1-based VOC pixels), 'difficult': bool}``.

    Raises:
        ValueError: naming the file (and object index) for malformed XML, a missing or
            non-numeric field, or an unknown class.
    """
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as err:
        raise ValueError(f'{xml_path}: malformed XML ({err})') from err
    lookup = {c.lower(): i for i, c in enumerate(classes)}

    def number(node: Optional[ET.Element], tag: str, where: str) -> float:
        child = node.find(tag) if node is not None else None
        try:
            return float(child.text)
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f'{xml_path}: {where} has no numeric <{tag}>') from None

    size = root.find('size')
    width, height = int(number(size, 'width', '<size>')), int(number(size, 'height', '<size>'))
    objects = []
    for index, obj in enumerate(root.findall('object')):
        name = (obj.findtext('name') or '').strip().lower()
        if name not in lookup:
            raise ValueError(f'{xml_path}: object {index} has class {name!r}, which is not one '
                             f'of the {len(classes)} DIOR classes')
        bnd = obj.find('bndbox')
        where = f'object {index} <bndbox>'
        xyxy = [number(bnd, tag, where) for tag in ('xmin', 'ymin', 'xmax', 'ymax')]
        difficult = (obj.findtext('difficult') or '0').strip() == '1'
        objects.append(dict(label=lookup[name], xyxy=xyxy, difficult=difficult))
    return width, height, objects


def dior_to_coco(dior_root: str,
                 image_ids: Sequence[str],
                 img_subdir: str,
                 classes: Sequence[str] = DIOR_CLASSES,
                 progress: bool = False) -> Tuple[dict, List[str]]:
    """Build a COCO dict for ``image_ids`` of a DIOR folder.

    Args:
        dior_root: DIOR root (holding ``Annotations/Horizontal Bounding Boxes``).
        image_ids: Image ids (``00001`` ...), e.g. from ``ImageSets/Main/train.txt``.
        img_subdir: Image folder of these ids, ``JPEGImages-trainval`` or ``JPEGImages-test``.
        progress: Show a progress bar.

    Returns:
        ``(coco dict, messages about degenerate boxes)``.

    Raises:
        FileNotFoundError: naming a missing XML file, or the image files of ``image_ids`` that
            are missing from ``<dior_root>/<img_subdir>`` (checked before any XML is read).
    """
    from tqdm import tqdm
    check_images_exist(dior_root, image_ids, img_subdir)
    images, annotations, warnings = [], [], []
    for image_index, img_id in enumerate(tqdm(image_ids, desc=img_subdir, disable=not progress,
                                              unit='img'), start=1):
        xml_path = osp.join(dior_root, HBB_SUBDIR, f'{img_id}.xml')
        if not osp.isfile(xml_path):
            raise FileNotFoundError(f'{xml_path}: annotation of image {img_id} is missing')
        width, height, objects = parse_dior_xml(xml_path, classes)
        images.append(dict(id=image_index, file_name=f'{img_subdir}/{img_id}.jpg',
                           width=width, height=height))
        for index, obj in enumerate(objects):
            xmin, ymin, xmax, ymax = obj['xyxy']
            w, h = xmax - xmin, ymax - ymin
            crowd = int(w <= 0 or h <= 0)
            if crowd:
                warnings.append(f'{xml_path}: object {index} has a degenerate box '
                                f'{obj["xyxy"]}; written with iscrowd=1 (ignored)')
            annotations.append(dict(id=len(annotations) + 1, image_id=image_index,
                                    category_id=obj['label'] + 1,
                                    bbox=[xmin - 1, ymin - 1, max(w, 0.0), max(h, 0.0)],
                                    area=max(w, 0.0) * max(h, 0.0), iscrowd=crowd,
                                    difficult=int(obj['difficult'])))
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(classes)]
    return dict(images=images, annotations=annotations, categories=categories), warnings


def check_images_exist(dior_root: str, image_ids: Sequence[str], img_subdir: str,
                       max_listed: int = 10) -> None:
    """Raise if an image of ``image_ids`` is missing from ``<dior_root>/<img_subdir>``.

    Args:
        dior_root (str): DIOR root folder.
        image_ids (Sequence[str]): Image ids (``00001`` ...), each read as ``<id>.jpg``.
        img_subdir (str): ``JPEGImages-trainval`` or ``JPEGImages-test``.
        max_listed (int): How many missing files the message names. Defaults to 10.

    Raises:
        FileNotFoundError: naming the folder, how many of the split's images are missing and
            the first ``max_listed`` of them.
    """
    img_dir = osp.join(dior_root, img_subdir)
    missing = [f'{img_id}.jpg' for img_id in image_ids
               if not osp.isfile(osp.join(img_dir, f'{img_id}.jpg'))]
    if missing:
        more = f' and {len(missing) - max_listed} more' if len(missing) > max_listed else ''
        raise FileNotFoundError(
            f'{img_dir}: {len(missing)} of the {len(image_ids)} images listed for this split are '
            f'missing: {", ".join(missing[:max_listed])}{more} (expected <image id>.jpg for '
            'every id of the ImageSets file; is the image archive fully extracted?)')


def read_image_set(path: str) -> List[str]:
    """Image ids of an ``ImageSets/Main/<split>.txt`` file (one per line, blanks skipped)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image-set file not found')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def split_image_ids(dior_root: str, split: str) -> Tuple[List[str], str]:
    """Image ids of a split and their image folder; ``trainval`` is ``train`` + ``val`` when
    ``trainval.txt`` is absent."""
    sets = osp.join(dior_root, 'ImageSets', 'Main')
    if split == 'trainval' and not osp.isfile(osp.join(sets, 'trainval.txt')):
        ids = read_image_set(osp.join(sets, 'train.txt')) + read_image_set(
            osp.join(sets, 'val.txt'))
    else:
        ids = read_image_set(osp.join(sets, f'{split}.txt'))
    return ids, 'JPEGImages-test' if split == 'test' else 'JPEGImages-trainval'
