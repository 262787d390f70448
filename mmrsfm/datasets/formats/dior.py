"""Reading DIOR and DIOR-R annotations: VOC-style XML with horizontal and/or rotated boxes.

One file per image (``Annotations/Horizontal Bounding Boxes/00001.xml`` in DIOR,
``Annotations/Oriented Bounding Boxes/00001.xml`` in DIOR-R)::

    <annotation>
      <filename>00001.jpg</filename>
      <size><width>800</width><height>800</height><depth>3</depth></size>
      <object>
        <name>airplane</name>
        <difficult>0</difficult>
        <bndbox><xmin>12</xmin><ymin>40</ymin><xmax>61</xmax><ymax>80</ymax></bndbox>
        <robndbox><x_left_top>...</x_left_top> ... <y_left_bottom>...</y_left_bottom></robndbox>
      </object>
      ...
    </annotation>

``<bndbox>`` holds VOC corners (1-based, inclusive pixels); the reader makes them 0-based as
mmdet's ``XMLDataset`` does (``xmin - 1``), keeping fractions. ``<robndbox>`` (DIOR-R) holds the
four corners ``x_left_top, y_left_top, ..., x_left_bottom, y_left_bottom`` in pixels, read as
written (as mmrotate's ``DIORDataset`` reads them); two other encodings found in the wild are
read too: ``xmin ymin xmax ymax`` (an axis-aligned box) and roLabelImg's ``cx cy w h angle``
(angle in radians). The release writes some class names capitalised
(``Expressway-Service-area``): names match through :class:`.ClassMapper`, case-insensitively.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

import numpy as np

from .annotation_error import AnnotationError
from .objects import ClassMapper, DetObject, as_class_mapper
from .xml_lines import LineMap, child_floats, parse_xml_with_lines, xml_objects

#: The 20 DIOR classes, in the label order of mmrsfm's and mmrotate's ``DIORDataset``.
DIOR_CLASSES = ('airplane', 'airport', 'baseballfield', 'basketballcourt', 'bridge', 'chimney',
                'expressway-service-area', 'expressway-toll-station', 'dam', 'golffield',
                'groundtrackfield', 'harbor', 'overpass', 'ship', 'stadium', 'storagetank',
                'tenniscourt', 'trainstation', 'vehicle', 'windmill')

_VOC_TAGS = ('xmin', 'ymin', 'xmax', 'ymax')
_CORNER_TAGS = ('x_left_top', 'y_left_top', 'x_right_top', 'y_right_top', 'x_right_bottom',
                'y_right_bottom', 'x_left_bottom', 'y_left_bottom')
_ROLABEL_TAGS = ('cx', 'cy', 'w', 'h', 'angle')


@dataclass
class DIORAnnotation:
    """The image size and objects of one DIOR / DIOR-R annotation file.

    Attributes:
        objects (List[DetObject]): The objects in file order; ``hbox`` is the 0-based
            ``<bndbox>`` (``xmin - 1, ymin - 1, xmax - 1, ymax - 1`` in pixels), ``poly`` the
            ``<robndbox>`` corners (4, 2) in pixels.
        width (int, optional): Image width in pixels from ``<size>``; ``None`` without
            ``<size>``.
        height (int, optional): Image height in pixels from ``<size>``; ``None`` without
            ``<size>``.
    """
    objects: List[DetObject] = field(default_factory=list)
    width: Optional[int] = None
    height: Optional[int] = None


def _robndbox_corners(node: ET.Element, path: str, line: Optional[int]) -> np.ndarray:
    """Corners (4, 2) of a ``<robndbox>`` in any of its three encodings."""
    if node.find('x_left_top') is not None:
        return child_floats(node, _CORNER_TAGS, path, line).reshape(4, 2)
    if node.find('cx') is not None:
        cx, cy, w, h, angle = child_floats(node, _ROLABEL_TAGS, path, line)
        c, s = math.cos(angle), math.sin(angle)
        # roLabelImg's rotation: x' = cx + c*dx + s*dy, y' = cy - s*dx + c*dy.
        offsets = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
        return offsets @ np.array([[c, -s], [s, c]]) + np.array([cx, cy])
    x1, y1, x2, y2 = child_floats(node, _VOC_TAGS, path, line)
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])


def _difficult(node: ET.Element, path: str, lines: LineMap, line: Optional[int]) -> bool:
    """The ``<difficult>`` flag of an object: an integer, non-zero when difficult."""
    flag = node.find('difficult')
    text = (flag.text or '').strip() if flag is not None else ''
    if not text:
        return False
    try:
        return int(text) != 0
    except ValueError:
        raise AnnotationError(path, lines.get(flag, line),
                              f'<difficult> must be an integer, found {text!r}') from None


def _image_size(root: ET.Element, path: str, lines: LineMap) -> Optional[List[int]]:
    """``[width, height]`` from ``<size>``, ``None`` when the file has no ``<size>``."""
    size = root.find('size')
    if size is None:
        return None
    line = lines.get(size)
    values = child_floats(size, ('width', 'height'), path, line)
    if not all(float(v).is_integer() for v in values):
        raise AnnotationError(path, line, '<width> and <height> must be whole numbers of '
                              f'pixels, found {values.tolist()}')
    return [int(v) for v in values]


def read_dior_xml(path: str,
                  classes: Union[Sequence[str], ClassMapper] = DIOR_CLASSES,
                  require_bndbox: bool = False) -> DIORAnnotation:
    """Read a DIOR / DIOR-R VOC XML annotation file.

    Every ``<object>`` child of the root needs a ``<name>`` and a ``<bndbox>`` or a
    ``<robndbox>`` (or both); an object without ``<bndbox>`` but with an axis-aligned
    ``<robndbox>`` gets the bounds of its corners as ``hbox`` (see :func:`.make_object`).

    Args:
        path (str): The ``.xml`` file.
        classes (Sequence[str] | ClassMapper): Target classes, in label order, or a mapper that
            also renames or drops source classes. Defaults to :data:`DIOR_CLASSES`.
        require_bndbox (bool): Whether every object must have a ``<bndbox>`` (so ``hbox`` is
            always the file's horizontal box), as DIOR's horizontal-box files do. Defaults to
            False.

    Returns:
        DIORAnnotation: The image size (``None`` without ``<size>``) and the objects.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        AnnotationError: (a ``ValueError``) naming ``path`` and the line of the fault: malformed
            XML, an object without a name or a box, an unknown class, a missing or non-numeric
            coordinate, a ``<difficult>`` that is not an integer, or a ``<size>`` without whole
            ``<width>`` and ``<height>``.
    """
    mapper = as_class_mapper(classes)
    root, lines = parse_xml_with_lines(path)
    size = _image_size(root, path, lines)

    def boxes_of(node: ET.Element, line: Optional[int], lines: LineMap) -> dict:
        hbox = poly = None
        bnd = node.find('bndbox')
        if bnd is not None:
            hbox = child_floats(bnd, _VOC_TAGS, path, lines.get(bnd, line)) - 1.0
        elif require_bndbox:
            raise AnnotationError(path, line, '<object> has no <bndbox>')
        rbnd = node.find('robndbox')
        if rbnd is not None:
            poly = _robndbox_corners(rbnd, path, lines.get(rbnd, line))
        if hbox is None and poly is None:
            raise AnnotationError(path, line, '<object> has neither <bndbox> nor <robndbox>')
        return dict(hbox=hbox, poly=poly, difficult=_difficult(node, path, lines, line))

    objects = xml_objects(path, root.findall('object'), lines, mapper, 'name', boxes_of)
    width, height = size if size is not None else (None, None)
    return DIORAnnotation(objects=objects, width=width, height=height)
