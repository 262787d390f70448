"""Writer of tiny HRSC2016 samples in the release's on-disk format, for tests.

An image ``<root>/AllImages/<name>.bmp``, its annotation ``<root>/Annotations/<name>.xml``
(``HRSC_Image`` with one ``HRSC_Object`` per ship: H-Box ``box_*``, R-Box ``mbox_*`` with the
angle in radians, ``seg_color``) and its colour-coded segmentation ``<root>/Segmentations/
<name>.png`` (each segmented ship's R-Box filled with its ``seg_color``).
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmrsfm.datasets.formats.hrsc import rbox_corners


def hrsc_xml_text(name: str, width: int, height: int, ships: Sequence[dict]) -> str:
    """The XML text of one HRSC2016 annotation file.

    Args:
        name (str): ``Img_FileName`` (the image stem).
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        ships (Sequence[dict]): Per ship ``hbox`` (4 numbers), ``rbox`` (``cx, cy, w, h,
            angle``), optional ``seg_color`` (``(R, G, B)`` or ``None``), ``header``
            (``(x, y)``) and ``difficult`` (int).

    Returns:
        str: The file's text.
    """
    objects = []
    for i, ship in enumerate(ships):
        x1, y1, x2, y2 = ship['hbox']
        cx, cy, w, h, ang = ship['rbox']
        color = ship.get('seg_color')
        hx, hy = ship.get('header', ('', ''))
        objects.append(
            f'    <HRSC_Object>\n      <Object_ID>{100000001 + i}</Object_ID>\n'
            f'      <Class_ID>100000001</Class_ID>\n      <truncated>0</truncated>\n'
            f'      <difficult>{ship.get("difficult", 0)}</difficult>\n'
            f'      <box_xmin>{x1}</box_xmin>\n      <box_ymin>{y1}</box_ymin>\n'
            f'      <box_xmax>{x2}</box_xmax>\n      <box_ymax>{y2}</box_ymax>\n'
            f'      <mbox_cx>{cx}</mbox_cx>\n      <mbox_cy>{cy}</mbox_cy>\n'
            f'      <mbox_w>{w}</mbox_w>\n      <mbox_h>{h}</mbox_h>\n'
            f'      <mbox_ang>{ang}</mbox_ang>\n'
            f'      <segmented>{int(color is not None)}</segmented>\n'
            f'      <seg_color>{",".join(str(c) for c in color) if color else ""}</seg_color>\n'
            f'      <header_x>{hx}</header_x>\n      <header_y>{hy}</header_y>\n'
            f'    </HRSC_Object>\n')
    segmented = int(bool(ships) and all(s.get('seg_color') for s in ships))
    return (f'<HRSC_Image>\n  <Img_ID>{name}</Img_ID>\n  <Img_FileName>{name}</Img_FileName>\n'
            f'  <Img_FileFmt>bmp</Img_FileFmt>\n  <Img_SizeWidth>{width}</Img_SizeWidth>\n'
            f'  <Img_SizeHeight>{height}</Img_SizeHeight>\n  <Img_SizeDepth>3</Img_SizeDepth>\n'
            f'  <segmented>{segmented}</segmented>\n  <Annotated>1</Annotated>\n'
            f'  <HRSC_Objects>\n{"".join(objects)}  </HRSC_Objects>\n</HRSC_Image>\n')


def write_hrsc(root: str, images: Dict[str, Sequence[dict]], width: int = 64,
               height: int = 48, seed: int = 0) -> Dict[str, List[Optional[np.ndarray]]]:
    """Write HRSC2016 samples: image, XML and segmentation PNG per image.

    Each ship's R-Box is drawn bright on a dark noisy image; in the segmentation PNG the
    R-Box of each ship with a ``seg_color`` is filled with that colour (later ships over
    earlier ones; a ship without ``seg_color`` is drawn in the image only).

    Args:
        root (str): Output folder (``AllImages``, ``Annotations``, ``Segmentations`` below).
        images (Dict[str, Sequence[dict]]): Image name -> ships (see :func:`hrsc_xml_text`).
        width (int): Image width in pixels. Defaults to 64.
        height (int): Image height in pixels. Defaults to 48.
        seed (int): Seed of the image noise. Defaults to 0.

    Returns:
        Dict[str, List[np.ndarray | None]]: Per image, the ``(H, W)`` bool ground-truth mask of
        each ship as written to the PNG (``None`` for ships without ``seg_color``).
    """
    rng = np.random.RandomState(seed)
    for sub in ('AllImages', 'Annotations', 'Segmentations'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    written = {}
    for name, ships in images.items():
        image = rng.randint(0, 40, (height, width, 3)).astype(np.uint8)
        seg = np.zeros((height, width, 3), np.uint8)
        masks: List[Optional[np.ndarray]] = []
        for ship in ships:
            corners = np.round(rbox_corners(*ship['rbox'])).astype(np.int32)
            cv2.fillPoly(image, [corners], (200, 200, 200))
            own = np.zeros((height, width), np.uint8)
            cv2.fillPoly(own, [corners], 1)
            if ship.get('seg_color'):
                # A later ship covers an earlier one in the PNG.
                masks = [m & (own == 0) if m is not None else None for m in masks]
                seg[own == 1] = tuple(int(c) for c in ship['seg_color'][::-1])
                masks.append(own == 1)
            else:
                masks.append(None)
        cv2.imwrite(osp.join(root, 'AllImages', f'{name}.bmp'), image)
        cv2.imwrite(osp.join(root, 'Segmentations', f'{name}.png'), seg)
        with open(osp.join(root, 'Annotations', f'{name}.xml'), 'w') as f:
            f.write(hrsc_xml_text(name, width, height, ships))
        written[name] = masks
    return written
