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
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence, Union

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
            that is not ``x,y``, or other than 4 corners (5 with the first repeated).
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
        return dict(poly=np.array(corners, dtype=np.float64))

    root, lines = parse_xml_with_lines(path)
    return xml_objects(path, list(root.iter('object')), lines, as_class_mapper(classes),
                       'possibleresult/name', boxes_of)
