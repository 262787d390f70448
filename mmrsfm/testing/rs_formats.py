"""Writers of tiny synthetic datasets in the on-disk formats of real RS benchmarks.

Images are noisy backgrounds with objects drawn in a class-specific colour, so a model can learn
them in a few iterations. Every writer is seeded and returns what it wrote.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple, Union

import cv2
import numpy as np

from mmrsfm.datasets.dior import DIOR_CLASSES

DOTA_CLASSES = ('plane', 'baseball-diamond', 'bridge', 'ground-track-field', 'small-vehicle',
                'large-vehicle', 'ship', 'tennis-court', 'basketball-court', 'storage-tank',
                'soccer-ball-field', 'roundabout', 'harbor', 'swimming-pool', 'helicopter')
# LoveDA label values: 0 no-data (ignored), 1..7 the classes below.
LOVEDA_CLASSES = ('background', 'building', 'road', 'water', 'barren', 'forest', 'agricultural')


def _class_colour(label: int) -> Tuple[int, int, int]:
    # Well-separated BGR colours; deterministic per label.
    rng = np.random.RandomState(label * 7919 + 13)
    return tuple(int(c) for c in rng.randint(40, 256, size=3))


def _background(rng: np.random.RandomState, size: int) -> np.ndarray:
    return rng.randint(0, 40, size=(size, size, 3)).astype(np.uint8)


def _random_rotated_box(rng: np.random.RandomState, size: int) -> np.ndarray:
    """Four corners (4, 2) of a rotated rectangle inside a ``size`` x ``size`` image, clockwise."""
    w, h = rng.uniform(0.12, 0.3, size=2) * size
    cx, cy = rng.uniform(0.3, 0.7, size=2) * size
    angle = rng.uniform(0, 180)
    corners = cv2.boxPoints(((float(cx), float(cy)), (float(w), float(h)), float(angle)))
    return np.clip(corners, 0, size - 1)


def _draw_objects(rng: np.random.RandomState, size: int, num_classes: int,
                  max_objects: int) -> Tuple[np.ndarray, List[Tuple[int, np.ndarray]]]:
    image = _background(rng, size)
    objects = []
    for _ in range(rng.randint(1, max_objects + 1)):
        label = int(rng.randint(num_classes))
        corners = _random_rotated_box(rng, size)
        cv2.fillPoly(image, [np.round(corners).astype(np.int32)], _class_colour(label))
        objects.append((label, corners))
    return image, objects


def write_dota(root: str,
               split: str = 'trainval',
               num_images: int = 4,
               size: int = 256,
               num_classes: int = 3,
               raw_release: bool = False,
               seed: int = 0) -> List[str]:
    """Write a DOTA-v1.0-style oriented-box set: PNG images + 8-point txt annotations.

    Layout ``root/split/images/*.png`` and ``root/split/annfiles/*.txt`` (mmrotate's split
    format: one ``x1 y1 ... x4 y4 class difficult`` line per object). With ``raw_release=True``
    the txt files go to ``labelTxt/`` and start with the ``imagesource:``/``gsd:`` header lines
    of the released dataset.

    Returns:
        The image ids written.
    """
    rng = np.random.RandomState(seed)
    img_dir = osp.join(root, split, 'images')
    ann_dir = osp.join(root, split, 'labelTxt' if raw_release else 'annfiles')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    ids = []
    for i in range(num_images):
        img_id = f'P{i:04d}'
        image, objects = _draw_objects(rng, size, num_classes, max_objects=3)
        cv2.imwrite(osp.join(img_dir, f'{img_id}.png'), image)
        lines = ['imagesource:GoogleEarth', 'gsd:0.5'] if raw_release else []
        for label, corners in objects:
            coords = ' '.join(f'{v:.1f}' for v in corners.reshape(-1))
            lines.append(f'{coords} {DOTA_CLASSES[label]} 0')
        with open(osp.join(ann_dir, f'{img_id}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        ids.append(img_id)
    return ids


def _dior_object_xml(name: str, corners: np.ndarray) -> str:
    xmin, ymin = corners.min(axis=0)
    xmax, ymax = corners.max(axis=0)
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = corners
    return (f'  <object>\n    <name>{name}</name>\n    <pose>Unspecified</pose>\n'
            f'    <truncated>0</truncated>\n    <difficult>0</difficult>\n'
            f'    <bndbox><xmin>{int(xmin) + 1}</xmin><ymin>{int(ymin) + 1}</ymin>'
            f'<xmax>{int(xmax) + 1}</xmax><ymax>{int(ymax) + 1}</ymax></bndbox>\n'
            f'    <robndbox><x_left_top>{x1:.1f}</x_left_top><y_left_top>{y1:.1f}</y_left_top>'
            f'<x_right_top>{x2:.1f}</x_right_top><y_right_top>{y2:.1f}</y_right_top>'
            f'<x_right_bottom>{x3:.1f}</x_right_bottom><y_right_bottom>{y3:.1f}</y_right_bottom>'
            f'<x_left_bottom>{x4:.1f}</x_left_bottom><y_left_bottom>{y4:.1f}</y_left_bottom>'
            f'</robndbox>\n  </object>\n')


def write_dior(root: str,
               splits: Dict[str, int] = None,
               size: int = 256,
               num_classes: int = 3,
               seed: int = 0) -> Dict[str, List[str]]:
    """Write a DIOR / DIOR-R-style set: JPEG images, VOC XML with horizontal and oriented boxes.

    Layout: ``JPEGImages-trainval/``, ``JPEGImages-test/``, ``Annotations/Horizontal Bounding
    Boxes/*.xml`` (``<bndbox>``, 1-based pixels), ``Annotations/Oriented Bounding Boxes/*.xml``
    (``<robndbox>`` corners), ``ImageSets/Main/<split>.txt``. Class names are written as in the
    release (e.g. ``Expressway-Service-area`` capitalised).

    Args:
        splits: split name -> number of images; ``test`` images go to ``JPEGImages-test``.
            Defaults to ``{'train': 4, 'val': 2}``.

    Returns:
        Image ids per split.
    """
    splits = splits or {'train': 4, 'val': 2}
    rng = np.random.RandomState(seed)
    release_names = {n: n for n in DIOR_CLASSES}
    release_names.update({'expressway-service-area': 'Expressway-Service-area',
                          'expressway-toll-station': 'Expressway-toll-station'})
    hbb_dir = osp.join(root, 'Annotations', 'Horizontal Bounding Boxes')
    obb_dir = osp.join(root, 'Annotations', 'Oriented Bounding Boxes')
    for d in (hbb_dir, obb_dir, osp.join(root, 'ImageSets', 'Main')):
        os.makedirs(d, exist_ok=True)
    written: Dict[str, List[str]] = {}
    next_id = 1
    for split, count in splits.items():
        img_dir = osp.join(root, 'JPEGImages-test' if split == 'test' else 'JPEGImages-trainval')
        os.makedirs(img_dir, exist_ok=True)
        ids = []
        for _ in range(count):
            img_id = f'{next_id:05d}'
            next_id += 1
            image, objects = _draw_objects(rng, size, num_classes, max_objects=3)
            cv2.imwrite(osp.join(img_dir, f'{img_id}.jpg'), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            body = ''.join(_dior_object_xml(release_names[DIOR_CLASSES[label]], corners)
                           for label, corners in objects)
            xml = (f'<annotation>\n  <filename>{img_id}.jpg</filename>\n  <source>\n'
                   f'    <database>DIOR</database>\n  </source>\n  <size><width>{size}</width>'
                   f'<height>{size}</height><depth>3</depth></size>\n  <segmented>0'
                   f'</segmented>\n{body}</annotation>\n')
            for d in (hbb_dir, obb_dir):
                with open(osp.join(d, f'{img_id}.xml'), 'w') as f:
                    f.write(xml)
            ids.append(img_id)
        with open(osp.join(root, 'ImageSets', 'Main', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
        written[split] = ids
    return written


def write_loveda(root: str,
                 splits: Dict[str, int] = None,
                 size: int = 128,
                 seed: int = 0) -> Dict[str, List[str]]:
    """Write a LoveDA-style segmentation set in mmseg's layout (after its converter).

    ``img_dir/<split>/<id>.png`` RGB images and ``ann_dir/<split>/<id>.png`` single-channel label
    maps with LoveDA's values: 0 no-data, 1..7 :data:`LOVEDA_CLASSES` (mmseg's ``LoveDADataset``
    reduces them to 0..6 with 255 ignored).

    Returns:
        Image ids per split.
    """
    splits = splits or {'train': 4, 'val': 2}
    rng = np.random.RandomState(seed)
    written: Dict[str, List[str]] = {}
    next_id = 0
    for split, count in splits.items():
        img_dir = osp.join(root, 'img_dir', split)
        ann_dir = osp.join(root, 'ann_dir', split)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(ann_dir, exist_ok=True)
        ids = []
        for _ in range(count):
            img_id = str(next_id)
            next_id += 1
            label = np.full((size, size), 1, dtype=np.uint8)  # background class
            for _ in range(rng.randint(2, 5)):
                cls = int(rng.randint(2, len(LOVEDA_CLASSES) + 1))
                corners = _random_rotated_box(rng, size)
                cv2.fillPoly(label, [np.round(corners).astype(np.int32)], cls)
            label[:4, :4] = 0  # a no-data corner, as at LoveDA tile borders
            image = _background(rng, size)
            for cls in np.unique(label):
                if cls > 0:
                    image[label == cls] = np.clip(
                        np.array(_class_colour(int(cls))) + image[label == cls], 0, 255)
            cv2.imwrite(osp.join(img_dir, f'{img_id}.png'), image)
            cv2.imwrite(osp.join(ann_dir, f'{img_id}.png'), label)
            ids.append(img_id)
        written[split] = ids
    return written


def write_scene_folder(root: str,
                       classes: Sequence[str] = ('Airport', 'Beach', 'Forest'),
                       per_class: Union[int, Sequence[int]] = 4,
                       val_per_class: int = 2,
                       size: int = 64,
                       seed: int = 0) -> Dict[str, List[str]]:
    """Write an AID / RESISC-45-style scene set (or any ImageFolder set, e.g. DOTA-LT object
    crops): ``root/<Class>/<class>_<n>.jpg``.

    Also writes mmpretrain ``CustomDataset`` annotation files ``train.txt`` / ``val.txt`` (one
    ``<relative path> <label index>`` line per image), split per class.

    Args:
        per_class: Training images per class, one number or one per class (long-tailed sets).

    Returns:
        The annotation lines per split.
    """
    rng = np.random.RandomState(seed)
    train_counts = [per_class] * len(classes) if isinstance(per_class, int) else list(per_class)
    lines: Dict[str, List[str]] = {'train': [], 'val': []}
    for label, name in enumerate(classes):
        os.makedirs(osp.join(root, name), exist_ok=True)
        for n in range(train_counts[label] + val_per_class):
            image = _background(rng, size)
            colour = np.array(_class_colour(label))
            for _ in range(3):
                corners = _random_rotated_box(rng, size)
                cv2.fillPoly(image, [np.round(corners).astype(np.int32)], colour.tolist())
            rel = f'{name}/{name.lower()}_{n + 1}.jpg'
            cv2.imwrite(osp.join(root, rel), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            lines['train' if n < train_counts[label] else 'val'].append(f'{rel} {label}')
    for split, split_lines in lines.items():
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write('\n'.join(split_lines) + '\n')
    return lines
