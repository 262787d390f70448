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

from mmrsfm.datasets.formats import DIOR_CLASSES, DOTA_V1_CLASSES

#: The DOTA-v1.0 classes :func:`write_dota` draws from (the first ``num_classes``).
DOTA_CLASSES = DOTA_V1_CLASSES
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

    Args:
        root (str): Output folder.
        split (str): Split folder under ``root``. Defaults to ``'trainval'``.
        num_images (int): Images to write. Defaults to 4.
        size (int): Side of the square images in pixels. Defaults to 256.
        num_classes (int): Objects are drawn from the first ``num_classes`` of
            :data:`DOTA_CLASSES`. Defaults to 3.
        raw_release (bool): Write ``labelTxt/`` with header lines instead of ``annfiles/``.
            Defaults to False.
        seed (int): Random seed. Defaults to 0.

    Returns:
        List[str]: The image ids written (``P0000`` ...).
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
        root (str): Output folder (the DIOR root).
        splits (Dict[str, int], optional): Split name -> number of images; ``test`` images go
            to ``JPEGImages-test``. Defaults to ``{'train': 4, 'val': 2}``.
        size (int): Side of the square images in pixels. Defaults to 256.
        num_classes (int): Objects are drawn from the first ``num_classes`` of
            ``DIOR_CLASSES``. Defaults to 3.
        seed (int): Random seed. Defaults to 0.

    Returns:
        Dict[str, List[str]]: Image ids (``00001`` ..., numbered across splits) per split.
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
                 seed: int = 0,
                 unlabelled: Sequence[str] = ()) -> Dict[str, List[str]]:
    """Write a LoveDA-style segmentation set in mmseg's layout (after its converter).

    ``img_dir/<split>/<id>.png`` RGB images and ``ann_dir/<split>/<id>.png`` single-channel label
    maps with LoveDA's values: 0 no-data, 1..7 :data:`LOVEDA_CLASSES` (mmseg's ``LoveDADataset``
    reduces them to 0..6 with 255 ignored). Splits named in ``unlabelled`` get images only, as
    the released test split.

    Args:
        root (str): Output folder.
        splits (Dict[str, int], optional): Split name -> number of images. Defaults to
            ``{'train': 4, 'val': 2}``.
        size (int): Side of the square images in pixels. Defaults to 128.
        seed (int): Random seed. Defaults to 0.
        unlabelled (Sequence[str]): Splits written without ``ann_dir/<split>`` (e.g.
            ``('test', )``). Defaults to ().

    Returns:
        Dict[str, List[str]]: Image ids per split.
    """
    splits = splits or {'train': 4, 'val': 2}
    rng = np.random.RandomState(seed)
    written: Dict[str, List[str]] = {}
    next_id = 0
    for split, count in splits.items():
        img_dir = osp.join(root, 'img_dir', split)
        ann_dir = osp.join(root, 'ann_dir', split)
        labelled = split not in unlabelled
        os.makedirs(img_dir, exist_ok=True)
        if labelled:
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
            if labelled:
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
        root (str): Output folder.
        classes (Sequence[str]): Class folder names, in label order. Defaults to
            ``('Airport', 'Beach', 'Forest')``.
        per_class (int | Sequence[int]): Training images per class, one number or one per
            class (long-tailed sets). Defaults to 4.
        val_per_class (int): Validation images per class. Defaults to 2.
        size (int): Side of the square images in pixels. Defaults to 64.
        seed (int): Random seed. Defaults to 0.

    Returns:
        Dict[str, List[str]]: The annotation lines (``<relative path> <label>``) of ``train``
        and ``val``.
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


# --- Raw release formats for the dataset preparation tools -----------------------------------

#: RGB colours of the Potsdam label classes, index 1..6 (impervious surface, building, low
#: vegetation, tree, car, clutter) as in the ISPRS release; black (index 0) marks boundaries.
POTSDAM_RELEASE_COLOURS = ((0, 0, 0), (255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0),
                           (255, 255, 0), (255, 0, 0))
#: RGB colours of iSAID's semantic labels, index 0..15 (background first), as in the release.
ISAID_RELEASE_COLOURS = ((0, 0, 0), (0, 0, 63), (0, 63, 63), (0, 63, 0), (0, 63, 127),
                         (0, 63, 191), (0, 63, 255), (0, 127, 63), (0, 127, 127), (0, 0, 127),
                         (0, 0, 191), (0, 0, 255), (0, 191, 127), (0, 127, 191), (0, 127, 255),
                         (0, 100, 155))


def _blocky_label(rng: np.random.RandomState, size: Tuple[int, int], num_values: int,
                  block: int) -> np.ndarray:
    # Piecewise-constant label map: one random value per block x block cell.
    h, w = size
    cells = rng.randint(0, num_values, size=(-(-h // block), -(-w // block)))
    return np.kron(cells, np.ones((block, block), dtype=np.int64))[:h, :w].astype(np.uint8)


def write_potsdam_release(root: str,
                          tiles: Sequence[str] = ('2_10', '2_13'),
                          size: int = 96,
                          seed: int = 0) -> Dict[str, np.ndarray]:
    """Write ISPRS Potsdam-style tiles as released: ``top_potsdam_<i>_<j>_RGB.tif`` under
    ``root/2_Ortho_RGB/`` and colour-coded ``top_potsdam_<i>_<j>_label_noBoundary.tif`` under
    ``root/5_Labels_all_noBoundary/``.

    Args:
        root (str): Output folder.
        tiles (Sequence[str]): Tile ids ``<i>_<j>``. Defaults to ``('2_10', '2_13')``.
        size (int): Side of the square tiles in pixels. Defaults to 96.
        seed (int): Random seed. Defaults to 0.

    Returns:
        Dict[str, np.ndarray]: Tile id -> the (size, size) index label drawn (0 boundary, 1..6
        classes).
    """
    rng = np.random.RandomState(seed)
    from PIL import Image
    os.makedirs(osp.join(root, '2_Ortho_RGB'), exist_ok=True)
    os.makedirs(osp.join(root, '5_Labels_all_noBoundary'), exist_ok=True)
    labels = {}
    for tile in tiles:
        label = _blocky_label(rng, (size, size), len(POTSDAM_RELEASE_COLOURS), 8)
        colours = np.array(POTSDAM_RELEASE_COLOURS, dtype=np.uint8)[label]
        image = np.clip(colours.astype(np.int64) // 2 + rng.randint(0, 60, colours.shape), 0,
                        255).astype(np.uint8)
        Image.fromarray(image).save(osp.join(root, '2_Ortho_RGB', f'top_potsdam_{tile}_RGB.tif'))
        Image.fromarray(colours).save(
            osp.join(root, '5_Labels_all_noBoundary', f'top_potsdam_{tile}_label_noBoundary.tif'))
        labels[tile] = label
    return labels


def write_isaid_release(root: str,
                        splits: Dict[str, int] = None,
                        size: Tuple[int, int] = (80, 120),
                        seed: int = 0) -> Dict[str, Dict[str, np.ndarray]]:
    """Write iSAID-style images and colour semantic masks as released:
    ``root/<split>/images/P<n>.png`` and
    ``root/<split>/Semantic_masks/images/P<n>_instance_color_RGB.png``.

    Args:
        root (str): Output folder.
        splits (Dict[str, int], optional): Split -> number of images. Defaults to
            ``{'train': 2, 'val': 1}``.
        size (Tuple[int, int]): ``(height, width)`` of every image in pixels. Defaults to
            ``(80, 120)``.
        seed (int): Random seed. Defaults to 0.

    Returns:
        Dict[str, Dict[str, np.ndarray]]: Split -> image id -> the (height, width) index label
        drawn (0 background, 1..15 classes).
    """
    splits = splits or {'train': 2, 'val': 1}
    rng = np.random.RandomState(seed)
    written: Dict[str, Dict[str, np.ndarray]] = {}
    next_id = 0
    for split, count in splits.items():
        img_dir = osp.join(root, split, 'images')
        ann_dir = osp.join(root, split, 'Semantic_masks', 'images')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(ann_dir, exist_ok=True)
        written[split] = {}
        for _ in range(count):
            img_id = f'P{next_id:04d}'
            next_id += 1
            label = _blocky_label(rng, size, len(ISAID_RELEASE_COLOURS), 10)
            colours = np.array(ISAID_RELEASE_COLOURS, dtype=np.uint8)[label]
            image = rng.randint(0, 255, size=size + (3, )).astype(np.uint8)
            cv2.imwrite(osp.join(img_dir, f'{img_id}.png'), image)
            cv2.imwrite(osp.join(ann_dir, f'{img_id}_instance_color_RGB.png'),
                        colours[..., ::-1])
            written[split][img_id] = label
    return written


def write_spacenet_v1_release(root: str,
                              num_tiles: int = 4,
                              size: Tuple[int, int] = (40, 48),
                              pixel_size: float = 4.5e-6,
                              seed: int = 0) -> Dict[str, List[np.ndarray]]:
    """Write SpaceNet v1-style tiles: GeoTIFF RGB images (north-up WGS84 georeferencing in the
    ModelPixelScale / ModelTiepoint tags) under ``root/3band/3band_AOI_1_RIO_img<n>.tif`` and
    building footprints as GeoJSON polygons in longitude/latitude under
    ``root/vectordata/geojson/Geo_AOI_1_RIO_img<n>.geojson``. Footprints are axis-aligned
    rectangles with corners on integer pixel coordinates; tile ``img1`` has no buildings (an
    empty feature, as in the release).

    Args:
        root (str): Output folder.
        num_tiles (int): Tiles to write (``img1`` ...). Defaults to 4.
        size (Tuple[int, int]): ``(height, width)`` of every tile in pixels. Defaults to
            ``(40, 48)``.
        pixel_size (float): Pixel size in degrees. Defaults to 4.5e-6.
        seed (int): Random seed. Defaults to 0.

    Returns:
        Dict[str, List[np.ndarray]]: Tile id -> list of footprints as pixel boxes ``[col0,
        row0, col1, row1]`` (continuous image coordinates, the pixel ``(r, c)`` covering
        ``[c, c + 1) x [r, r + 1)``).
    """
    import json

    from PIL import Image, TiffImagePlugin
    rng = np.random.RandomState(seed)
    img_dir = osp.join(root, '3band')
    geo_dir = osp.join(root, 'vectordata', 'geojson')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(geo_dir, exist_ok=True)
    height, width = size
    boxes_per_tile: Dict[str, List[np.ndarray]] = {}
    for n in range(1, num_tiles + 1):
        tile = f'img{n}'
        lon0, lat0 = -43.7 + 0.001 * n, -22.9  # Rio de Janeiro
        tags = TiffImagePlugin.ImageFileDirectory_v2()
        tags[33550] = (pixel_size, pixel_size, 0.0)
        tags.tagtype[33550] = 12
        tags[33922] = (0.0, 0.0, 0.0, lon0, lat0, 0.0)
        tags.tagtype[33922] = 12
        image = rng.randint(0, 255, size=(height, width, 3)).astype(np.uint8)
        Image.fromarray(image).save(osp.join(img_dir, f'3band_AOI_1_RIO_{tile}.tif'),
                                    tiffinfo=tags)
        boxes = []
        features = []
        for _ in range(0 if n == 1 else rng.randint(1, 4)):
            c0, r0 = rng.randint(0, width - 10), rng.randint(0, height - 10)
            c1, r1 = c0 + rng.randint(3, 10), r0 + rng.randint(3, 10)
            boxes.append(np.array([c0, r0, c1, r1]))
            ring = [[lon0 + c * pixel_size, lat0 - r * pixel_size]
                    for c, r in ((c0, r0), (c1, r0), (c1, r1), (c0, r1), (c0, r0))]
            features.append({'type': 'Feature', 'properties': {'BuildingId': len(boxes)},
                             'geometry': {'type': 'Polygon', 'coordinates': [ring]}})
        if not features:
            features.append({'type': 'Feature', 'properties': {},
                             'geometry': {'type': 'Point', 'coordinates': []}})
        with open(osp.join(geo_dir, f'Geo_AOI_1_RIO_{tile}.geojson'), 'w') as f:
            json.dump({'type': 'FeatureCollection', 'features': features}, f)
        boxes_per_tile[tile] = boxes
    return boxes_per_tile
