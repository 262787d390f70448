"""Reading FAIR1M annotations: one XML file per image with rotated boxes as four corners.

::

    <annotation>
      <size><width>1000</width><height>1000</height><depth>3</depth></size>
      <objects>
        <object>
          <possibleresult><name>Small Car</name></possibleresult>
          <points>
            <point>100.000000,50.000000</point> ... four corners, the first repeated last
          </points>
        </object>
      </objects>
    </annotation>

Corners are pixels (``x,y``); the fifth ``<point>``, when present, repeats the first. Class names
are written with spaces (``Small Car``) and match the hyphenated names of FAST
(``Small-Car``) through :class:`.ClassMapper`.

The release has no difficult flag. Tiles cut by ``tools/dataset_converters/fair1m_split.py``
add an optional ``<difficult>`` integer to each object (2 for an object cut by the tile border
with at most the IoF threshold of its area inside, else 0), written by
:func:`format_fair1m_xml` and read by :func:`read_fair1m_xml` (> 0 marks the object difficult),
as the DOTA splitter marks such objects.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from .annotation_error import AnnotationError
from .objects import ClassMapper, DetObject, as_class_mapper
from .xml_lines import LineMap, parse_xml_with_lines, xml_objects


def read_fair1m_xml(path: str, classes: Union[Sequence[str], ClassMapper]) -> List[DetObject]:
    """Read the objects of a FAIR1M XML annotation file.

    Args:
        path (str): The ``.xml`` file.
        classes (Sequence[str] | ClassMapper): Target classes, in label order, or a mapper that
            also renames or drops source classes.

    Returns:
        List[DetObject]: The objects in file order, with ``poly`` (4, 2) in pixels (and
        ``hbox`` when the corners are axis-aligned).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        AnnotationError: (a ``ValueError``) naming ``path`` and the line of the fault: malformed
            XML, an object without ``<possibleresult><name>``, an unknown class, a ``<point>``
            that is not ``x,y``, other than 4 corners (5 with the first repeated), or a
            ``<difficult>`` that is not an integer.
    """

    def boxes_of(node: ET.Element, line: Optional[int], lines: LineMap) -> dict:
        corners = []
        for point in node.findall('points/point'):
            try:
                x, y = (float(v) for v in (point.text or '').split(','))
            except ValueError:
                raise AnnotationError(path, lines.get(point, line),
                                      f'<point> must read "x,y", found {point.text!r}') from None
            corners.append((x, y))
        if len(corners) == 5 and np.allclose(corners[0], corners[4]):
            corners = corners[:4]
        if len(corners) != 4:
            raise AnnotationError(path, line, 'expected 4 corners (or 5 with the first '
                                  f'repeated), found {len(corners)} <point> entries')
        difficult = 0
        flag = node.find('difficult')
        if flag is not None:
            try:
                difficult = int((flag.text or '').strip())
            except ValueError:
                raise AnnotationError(path, lines.get(flag, line), '<difficult> must be an '
                                      f'integer, found {flag.text!r}') from None
        return dict(poly=np.array(corners, dtype=np.float64), difficult=difficult > 0)

    root, lines = parse_xml_with_lines(path)
    return xml_objects(path, list(root.iter('object')), lines, as_class_mapper(classes),
                       'possibleresult/name', boxes_of)


def format_fair1m_xml(filename: str, width: int, height: int,
                      objects: Sequence[Tuple[np.ndarray, str, int]]) -> str:
    """A FAIR1M XML annotation file, as the release lays it out, plus ``<difficult>``.

    Args:
        filename (str): The image file name written in ``<source><filename>``.
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        objects (Sequence[tuple[np.ndarray, str, int]]): ``(corners, name, difficult)`` per
            object: ``(4, 2)`` corners ``x, y`` in pixels, the class name as FAIR1M writes it
            (e.g. ``'Small Car'``) and the difficult flag.

    Returns:
        str: The XML text (UTF-8 declaration, two-space indentation); each object lists its
        four corners and the first again, with 6 decimals, as the release does.

    Examples:
        >>> corners = np.array([[10, 10], [20, 10], [20, 30], [10, 30]])
        >>> xml = format_fair1m_xml('0__1.0__0___0.png', 600, 600, [(corners, 'Bus', 0)])
        >>> '<point>20.000000,30.000000</point>' in xml
        True
    """
    root = ET.Element('annotation')
    source = ET.SubElement(root, 'source')
    ET.SubElement(source, 'filename').text = filename
    size = ET.SubElement(root, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(size, tag).text = str(int(value))
    objects_node = ET.SubElement(root, 'objects')
    for corners, name, difficult in objects:
        node = ET.SubElement(objects_node, 'object')
        ET.SubElement(node, 'coordinate').text = 'pixel'
        ET.SubElement(node, 'type').text = 'rectangle'
        ET.SubElement(node, 'description').text = 'None'
        result = ET.SubElement(node, 'possibleresult')
        ET.SubElement(result, 'name').text = name
        ET.SubElement(node, 'difficult').text = str(int(difficult))
        points = ET.SubElement(node, 'points')
        corners = np.asarray(corners, dtype=np.float64).reshape(4, 2)
        for x, y in np.concatenate([corners, corners[:1]]):
            ET.SubElement(points, 'point').text = f'{x:.6f},{y:.6f}'
    ET.indent(root, space='  ')
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding='unicode') \
        + '\n'
