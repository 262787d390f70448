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
from typing import List, Sequence, Tuple

from mmrsfm.datasets.formats import DIOR_CLASSES, AnnotationError, ClassMapper, read_dior_xml

HBB_SUBDIR = osp.join('Annotations', 'Horizontal Bounding Boxes')


def dior_to_coco(dior_root: str,
                 image_ids: Sequence[str],
                 img_subdir: str,
                 classes: Sequence[str] = DIOR_CLASSES,
                 progress: bool = False) -> Tuple[dict, List[str]]:
    """Build a COCO dict for ``image_ids`` of a DIOR folder.

    Each XML file is read by :func:`mmrsfm.datasets.formats.read_dior_xml` (every object needs a
    ``<bndbox>``, the file a ``<size>``).

    Args:
        dior_root (str): DIOR root (holding ``Annotations/Horizontal Bounding Boxes``).
        image_ids (Sequence[str]): Image ids (``00001`` ...), e.g. from
            ``ImageSets/Main/train.txt``.
        img_subdir (str): Image folder of these ids, ``JPEGImages-trainval`` or
            ``JPEGImages-test``.
        classes (Sequence[str]): Category names in id order (ids from 1); XML class names match
            them case-insensitively. Defaults to :data:`DIOR_CLASSES`.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        Tuple[dict, List[str]]: The COCO dict (``images``, ``annotations`` with ``bbox``
        ``[x, y, w, h]`` in pixels, ``categories``) and messages about degenerate boxes.

    Raises:
        FileNotFoundError: naming a missing XML file, or the image files of ``image_ids`` that
            are missing from ``<dior_root>/<img_subdir>`` (checked before any XML is read).
        AnnotationError: (a ``ValueError``) naming the XML file and line of a malformed file
            or one without ``<size>``.
    """
    from tqdm import tqdm
    check_images_exist(dior_root, image_ids, img_subdir)
    mapper = ClassMapper(tuple(classes))
    images, annotations, warnings = [], [], []
    for image_index, img_id in enumerate(tqdm(image_ids, desc=img_subdir, disable=not progress,
                                              unit='img'), start=1):
        xml_path = osp.join(dior_root, HBB_SUBDIR, f'{img_id}.xml')
        if not osp.isfile(xml_path):
            raise FileNotFoundError(f'{xml_path}: annotation of image {img_id} is missing')
        ann = read_dior_xml(xml_path, mapper, require_bndbox=True)
        if ann.width is None:
            raise AnnotationError(xml_path, None, 'no <size>: COCO needs the image width and '
                                  'height')
        images.append(dict(id=image_index, file_name=f'{img_subdir}/{img_id}.jpg',
                           width=ann.width, height=ann.height))
        for index, obj in enumerate(ann.objects):
            # Back to the 1-based VOC values (exact: hbox is <bndbox> - 1).
            xyxy = (obj.hbox + 1.0).tolist()
            xmin, ymin, xmax, ymax = xyxy
            w, h = xmax - xmin, ymax - ymin
            crowd = int(w <= 0 or h <= 0)
            if crowd:
                warnings.append(f'{xml_path}:{obj.line}: object {index} has a degenerate box '
                                f'{xyxy}; written with iscrowd=1 (ignored)')
            annotations.append(dict(id=len(annotations) + 1, image_id=image_index,
                                    category_id=obj.label + 1,
                                    bbox=[xmin - 1, ymin - 1, max(w, 0.0), max(h, 0.0)],
                                    area=max(w, 0.0) * max(h, 0.0), iscrowd=crowd,
                                    difficult=int(obj.difficult)))
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
    """Image ids of an ``ImageSets/Main/<split>.txt`` file.

    Args:
        path (str): The image-set file, one image id per line (blank lines skipped).

    Returns:
        List[str]: The image ids in file order.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image-set file not found')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def split_image_ids(dior_root: str, split: str) -> Tuple[List[str], str]:
    """Image ids of a DIOR split and their image folder.

    Args:
        dior_root (str): DIOR root (holding ``ImageSets/Main``).
        split (str): Split name, ``train``, ``val``, ``trainval`` or ``test``; ``trainval`` is
            ``train`` + ``val`` when ``trainval.txt`` is absent.

    Returns:
        Tuple[List[str], str]: The image ids and their image folder (``JPEGImages-test`` for
        ``test``, else ``JPEGImages-trainval``).

    Raises:
        FileNotFoundError: naming a missing image-set file.
    """
    sets = osp.join(dior_root, 'ImageSets', 'Main')
    if split == 'trainval' and not osp.isfile(osp.join(sets, 'trainval.txt')):
        ids = read_image_set(osp.join(sets, 'train.txt')) + read_image_set(
            osp.join(sets, 'val.txt'))
    else:
        ids = read_image_set(osp.join(sets, f'{split}.txt'))
    return ids, 'JPEGImages-test' if split == 'test' else 'JPEGImages-trainval'
