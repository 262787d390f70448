"""XML parsing that remembers the line of every element, for errors that name file and line.

The XML annotation readers (:mod:`.dior`, :mod:`.fair1m`) parse with
:func:`parse_xml_with_lines` and raise :class:`AnnotationError` at the line of the element at
fault.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Callable, Dict, List, Optional, Sequence, Tuple
from xml.parsers import expat

import numpy as np

from .annotation_error import AnnotationError
from .objects import ClassMapper, DetObject, make_object

#: ``element -> 1-based line of its start tag``, as :func:`parse_xml_with_lines` returns it.
LineMap = Dict[ET.Element, int]


def parse_xml_with_lines(path: str) -> Tuple[ET.Element, LineMap]:
    """Parse an XML file into an ``ElementTree`` and the line of each element.

    Args:
        path (str): The XML file.

    Returns:
        Tuple[ET.Element, Dict[ET.Element, int]]: The root element and the 1-based line of the
        start tag of every element.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        AnnotationError: naming ``path`` and the line of the fault for malformed XML.
    """
    builder = ET.TreeBuilder()
    lines: LineMap = {}
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


def child_floats(node: ET.Element, tags: Sequence[str], path: str,
                 line: Optional[int]) -> np.ndarray:
    """The numbers of the children ``tags`` of ``node``.

    Args:
        node (ET.Element): The parent element, e.g. ``<bndbox>``.
        tags (Sequence[str]): Child tags to read, e.g. ``('xmin', 'ymin', 'xmax', 'ymax')``.
        path (str): The XML file, named in errors.
        line (int, optional): Line named in errors (that of ``node``).

    Returns:
        np.ndarray: Float64 array of shape ``(len(tags),)``, in the order of ``tags``.

    Raises:
        AnnotationError: naming ``path`` and ``line`` when a child is missing or not a number.
    """
    values = []
    for tag in tags:
        child = node.find(tag)
        if child is None or child.text is None:
            raise AnnotationError(path, line, f'<{node.tag}> has no <{tag}>')
        try:
            values.append(float(child.text))
        except ValueError:
            raise AnnotationError(path, line,
                                  f'<{tag}> is not a number: {child.text!r}') from None
    return np.array(values, dtype=np.float64)


#: ``boxes_of(object_element, object_line, lines)`` -> keyword arguments of :func:`make_object`
#: (``hbox``, ``poly``, ``difficult``).
BoxReader = Callable[[ET.Element, Optional[int], LineMap], dict]


def xml_objects(path: str, objects: List[ET.Element], lines: LineMap, mapper: ClassMapper,
                name_tag: str, boxes_of: BoxReader) -> List[DetObject]:
    """The :class:`DetObject` of each ``<object>`` element of an XML annotation file.

    Args:
        path (str): The XML file, named in errors.
        objects (List[ET.Element]): The ``<object>`` elements, in file order.
        lines (Dict[ET.Element, int]): Line of each element (from
            :func:`parse_xml_with_lines`).
        mapper (ClassMapper): The target classes; objects of classes it drops are left out.
        name_tag (str): Path of the class name below ``<object>`` (``'name'`` in VOC,
            ``'possibleresult/name'`` in FAIR1M).
        boxes_of (Callable): Reads the boxes of one object: called as ``boxes_of(object,
            line, lines)``, it returns the ``hbox`` / ``poly`` / ``difficult`` keyword arguments
            of :func:`make_object`.

    Returns:
        List[DetObject]: The objects, in file order.

    Raises:
        AnnotationError: naming ``path`` and the line of an object without a class name, of an
            unknown class, or of a box ``boxes_of`` rejects.
    """
    found = []
    for node in objects:
        line = lines.get(node)
        name_node = node.find(name_tag)
        if name_node is None or not (name_node.text or '').strip():
            raise AnnotationError(path, line, f'<object> has no <{name_tag}>')
        obj = make_object(mapper, name_node.text.strip(), path, line,
                          **boxes_of(node, line, lines))
        if obj is not None:
            found.append(obj)
    return found
