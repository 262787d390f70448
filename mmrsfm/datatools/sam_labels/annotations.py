"""Readers of the detection annotations SAMRS prompts SAM with: DOTA txt, DIOR VOC XML, FAIR1M XML.

Every reader returns the objects of one image as :class:`DetObject` (class index, horizontal box
and/or rotated-box corners, source line) and raises :class:`AnnotationError` naming the file and
line of the first malformed entry. Coordinates are pixels, ``x`` to the right, ``y`` down.

Formats:

* DOTA ``*.txt``: optional ``imagesource:...`` / ``gsd:...`` header lines, then one
  ``x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]`` line per object (8-point polygon).
* DIOR / DIOR-R VOC XML: ``<object><name>`` with ``<bndbox>`` (``xmin ymin xmax ymax``, 1-based as
  in VOC; made 0-based like mmdet's ``XMLDataset``) and/or ``<robndbox>`` as four corners
  (``x_left_top ... y_left_bottom``, DIOR-R), as ``xmin ... ymax`` (some DIOR files) or as
  ``cx cy w h angle`` (roLabelImg, angle in radians).
* FAIR1M XML: ``<objects><object><possibleresult><name>`` and ``<points>`` with four or five
  ``<point>x,y</point>`` corners (the fifth repeats the first).
"""
from __future__ import annotations

import json
import math
import os.path as osp
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple
from xml.parsers import expat

import numpy as np

from mmrsfm.datasets.formats.annotation_error import AnnotationError
from mmrsfm.datasets.formats.dota import read_dota_txt
from mmrsfm.datasets.samrs_metainfo import SAMRS_CLASSES

ANNOTATION_FORMATS = ('dota', 'dior', 'fair1m')
ANNOTATION_SUFFIX = {'dota': '.txt', 'dior': '.xml', 'fair1m': '.xml'}


@dataclass
class DetObject:
    """One annotated object.

    Attributes:
        label: Class index in the target class list.
        name: Class name as written in the annotation file.
        hbox: Horizontal box ``(4,)`` ``x1, y1, x2, y2`` when the annotation has one (or the
            rotated box is axis-aligned), else ``None``.
        poly: Rotated-box corners ``(4, 2)`` when the annotation has them, else ``None``.
        difficult: The ``difficult`` flag of DOTA / VOC annotations.
        line: 1-based line of the object in its annotation file.
    """
    label: int
    name: str
    hbox: Optional[np.ndarray] = None
    poly: Optional[np.ndarray] = None
    difficult: bool = False
    line: Optional[int] = None


@dataclass
class ClassMapper:
    """Maps class names of an annotation file to indices of a target class list.

    Names match after normalisation (case, and spaces / underscores as hyphens), so DIOR's
    ``Expressway-Service-area`` finds SIOR's ``expressway-service-area`` and FAIR1M's
    ``Small Car`` finds FAST's ``Small-Car``. ``rename`` maps source names to target names first;
    a source name mapped to ``None`` is dropped (counted, not an error).
    """
    classes: Tuple[str, ...]
    rename: Dict[str, Optional[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.classes = tuple(self.classes)
        self._index = {normalize_name(c): i for i, c in enumerate(self.classes)}
        if len(self._index) != len(self.classes):
            raise ValueError(f'class names collide after normalisation: {self.classes}')
        self._rename = {normalize_name(k): v for k, v in self.rename.items()}

    def lookup(self, name: str) -> Optional[int]:
        """Class index of ``name``; ``None`` for a dropped class; ``KeyError`` if unknown."""
        key = normalize_name(name)
        if key in self._rename:
            target = self._rename[key]
            if target is None:
                return None
            key = normalize_name(target)
        if key not in self._index:
            raise KeyError(name)
        return self._index[key]

    @classmethod
    def from_spec(cls, spec: str) -> 'ClassMapper':
        """``'sota'`` / ``'sior'`` / ``'fast'``, or a JSON file holding a list of class names or
        ``{"classes": [...] or "sota"/"sior"/"fast", "map": {"source name": "class" or null}}``."""
        if spec.lower() in SAMRS_CLASSES:
            return cls(SAMRS_CLASSES[spec.lower()])
        if not osp.isfile(spec):
            raise FileNotFoundError(f'--classes {spec!r} is neither one of '
                                    f'{sorted(SAMRS_CLASSES)} nor a class-map JSON file')
        with open(spec) as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise AnnotationError(spec, err.lineno, f'invalid JSON: {err.msg}') from err
        if isinstance(data, list):
            return cls(tuple(data))
        if not isinstance(data, dict) or 'classes' not in data:
            raise AnnotationError(spec, None, 'expected a list of class names or a dict with '
                                  '"classes" (and optionally "map")')
        classes = data['classes']
        if isinstance(classes, str):
            classes = SAMRS_CLASSES[classes.lower()]
        return cls(tuple(classes), dict(data.get('map', {})))


def normalize_name(name: str) -> str:
    """Case- and separator-insensitive key of a class name."""
    return re.sub(r'[\s_]+', '-', name.strip()).lower()


def _is_axis_aligned(poly: np.ndarray, tol: float = 1e-3) -> bool:
    xs, ys = poly[:, 0], poly[:, 1]
    return (np.all(np.isclose(xs, xs.min(), atol=tol) | np.isclose(xs, xs.max(), atol=tol))
            and np.all(np.isclose(ys, ys.min(), atol=tol) | np.isclose(ys, ys.max(), atol=tol)))


def _make_object(mapper: ClassMapper, name: str, path: str, line: Optional[int],
                 hbox: Optional[np.ndarray] = None, poly: Optional[np.ndarray] = None,
                 difficult: bool = False) -> Optional[DetObject]:
    try:
        label = mapper.lookup(name)
    except KeyError:
        raise AnnotationError(path, line, f'unknown class {name!r}; expected one of '
                              f'{list(mapper.classes)} (or map it with a class-map JSON)')
    if label is None:
        return None
    if not all(np.all(np.isfinite(a)) for a in (hbox, poly) if a is not None):
        raise AnnotationError(path, line, 'non-finite coordinate')
    if hbox is None and poly is not None and _is_axis_aligned(poly):
        hbox = np.concatenate([poly.min(axis=0), poly.max(axis=0)])
    return DetObject(label=label, name=name, hbox=hbox, poly=poly, difficult=difficult,
                     line=line)


def parse_dota_txt(path: str, mapper: ClassMapper) -> List[DetObject]:
    """Objects of a DOTA ``*.txt`` file (8-point polygons, with or without header lines).

    Reads with :func:`mmrsfm.datasets.formats.read_dota_txt` (the DOTA reader the split
    tool uses); a ``difficult`` value > 0 (1 in the release, 2 for objects cut by a patch
    border) marks the object difficult.
    """
    objects = []
    for entry in read_dota_txt(path).objects:
        obj = _make_object(mapper, entry.name, path, entry.line, poly=entry.poly,
                           difficult=entry.difficult > 0)
        if obj is not None:
            objects.append(obj)
    return objects


def parse_xml_with_lines(path: str) -> Tuple[ET.Element, Dict[ET.Element, int]]:
    """``ElementTree`` root of an XML file and the 1-based start line of every element."""
    builder = ET.TreeBuilder()
    lines: Dict[ET.Element, int] = {}
    parser = expat.ParserCreate()

    def start(tag: str, attrs: dict) -> None:
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    with open(path, 'rb') as f:
        try:
            parser.ParseFile(f)
        except expat.ExpatError as err:
            raise AnnotationError(path, err.lineno,
                                  f'malformed XML: {expat.ErrorString(err.code)}') from err
    return builder.close(), lines


def _floats(node: ET.Element, tags: Sequence[str], path: str, line: Optional[int]) -> np.ndarray:
    values = []
    for tag in tags:
        child = node.find(tag)
        if child is None or child.text is None:
            raise AnnotationError(path, line, f'<{node.tag}> has no <{tag}>')
        try:
            values.append(float(child.text))
        except ValueError:
            raise AnnotationError(path, line, f'<{tag}> is not a number: {child.text!r}')
    return np.array(values, dtype=np.float64)


_CORNER_TAGS = ('x_left_top', 'y_left_top', 'x_right_top', 'y_right_top', 'x_right_bottom',
                'y_right_bottom', 'x_left_bottom', 'y_left_bottom')
_VOC_TAGS = ('xmin', 'ymin', 'xmax', 'ymax')
_ROLABEL_TAGS = ('cx', 'cy', 'w', 'h', 'angle')


def _robndbox_corners(node: ET.Element, path: str, line: Optional[int]) -> np.ndarray:
    if node.find('x_left_top') is not None:
        return _floats(node, _CORNER_TAGS, path, line).reshape(4, 2)
    if node.find('cx') is not None:
        cx, cy, w, h, angle = _floats(node, _ROLABEL_TAGS, path, line)
        c, s = math.cos(angle), math.sin(angle)
        # roLabelImg's rotation: x' = cx + c*dx + s*dy, y' = cy - s*dx + c*dy.
        offsets = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
        return offsets @ np.array([[c, -s], [s, c]]) + np.array([cx, cy])
    x1, y1, x2, y2 = _floats(node, _VOC_TAGS, path, line)
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])


def _xml_objects(path: str, mapper: ClassMapper, name_tag: str,
                 boxes_of: Callable[[ET.Element, Optional[int], Dict[ET.Element, int]], dict]
                 ) -> List[DetObject]:
    """Objects of an XML file: ``<object>`` elements, class name at ``name_tag``, boxes (the
    keyword arguments of :func:`_make_object`) from ``boxes_of(node, line, lines)``."""
    root, lines = parse_xml_with_lines(path)
    objects = []
    for node in root.iter('object'):
        line = lines.get(node)
        name_node = node.find(name_tag)
        if name_node is None or not (name_node.text or '').strip():
            raise AnnotationError(path, line, f'<object> has no <{name_tag}>')
        obj = _make_object(mapper, name_node.text.strip(), path, line,
                           **boxes_of(node, line, lines))
        if obj is not None:
            objects.append(obj)
    return objects


def parse_dior_xml(path: str, mapper: ClassMapper) -> List[DetObject]:
    """Objects of a DIOR / DIOR-R VOC XML file (``<bndbox>`` and/or ``<robndbox>``)."""

    def boxes_of(node: ET.Element, line: Optional[int], lines: Dict[ET.Element, int]) -> dict:
        hbox = poly = None
        bnd = node.find('bndbox')
        if bnd is not None:
            hbox = _floats(bnd, _VOC_TAGS, path, lines.get(bnd, line)) - 1.0
        rbnd = node.find('robndbox')
        if rbnd is not None:
            poly = _robndbox_corners(rbnd, path, lines.get(rbnd, line))
        if hbox is None and poly is None:
            raise AnnotationError(path, line, '<object> has neither <bndbox> nor <robndbox>')
        difficult = node.find('difficult')
        return dict(hbox=hbox, poly=poly, difficult=difficult is not None
                    and (difficult.text or '0').strip() == '1')

    return _xml_objects(path, mapper, 'name', boxes_of)


def parse_fair1m_xml(path: str, mapper: ClassMapper) -> List[DetObject]:
    """Objects of a FAIR1M XML file (``<possibleresult><name>`` + 4/5 ``<point>x,y</point>``)."""

    def boxes_of(node: ET.Element, line: Optional[int], lines: Dict[ET.Element, int]) -> dict:
        corners = []
        for point in node.findall('points/point'):
            try:
                x, y = (float(v) for v in (point.text or '').split(','))
            except ValueError:
                raise AnnotationError(path, lines.get(point, line),
                                      f'<point> must read "x,y", found {point.text!r}')
            corners.append((x, y))
        if len(corners) == 5 and np.allclose(corners[0], corners[4]):
            corners = corners[:4]
        if len(corners) != 4:
            raise AnnotationError(path, line, f'expected 4 corners (or 5 with the first '
                                  f'repeated), found {len(corners)} <point> entries')
        return dict(poly=np.array(corners, dtype=np.float64))

    return _xml_objects(path, mapper, 'possibleresult/name', boxes_of)


_PARSERS = {'dota': parse_dota_txt, 'dior': parse_dior_xml, 'fair1m': parse_fair1m_xml}


def load_objects(path: str, fmt: str, mapper: ClassMapper) -> List[DetObject]:
    """Objects of one annotation file of format ``fmt`` (``'dota'``, ``'dior'``, ``'fair1m'``)."""
    if fmt not in _PARSERS:
        raise ValueError(f'unknown annotation format {fmt!r}; expected one of {ANNOTATION_FORMATS}')
    return _PARSERS[fmt](path, mapper)
