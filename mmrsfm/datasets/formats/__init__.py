"""Annotation file formats: one reader (and writer, where we write the format) per format.

Datasets, metrics and the offline data tools all read annotation files through these modules,
so every format has one parser and one kind of error (:class:`AnnotationError`, which names the
file and line). The detection readers return :class:`DetObject` lists labelled by a
:class:`ClassMapper`.

* :mod:`.annotation_error` - :class:`AnnotationError`, raised by every reader.
* :mod:`.objects` - :class:`DetObject` (one annotated object), :class:`ClassMapper` (source class
  names -> label indices) and :func:`make_object`.
* :mod:`.xml_lines` - XML parsing that keeps each element's line, shared by the XML readers.
* :mod:`.dota` - DOTA ``labelTxt`` files (8-point polygons, optional header lines):
  :func:`read_dota_txt` (as written) and :func:`read_dota_objects` (labelled objects); the class
  sets of DOTA-v1.0 / v1.5 / v2.0 and :func:`dota_classes` (a version name or a class file).
* :mod:`.dior` - DIOR / DIOR-R VOC XML (``<size>``, ``<bndbox>`` and/or ``<robndbox>``):
  :func:`read_dior_xml`.
* :mod:`.fair1m` - FAIR1M XML (four ``<point>`` corners per object): :func:`read_fair1m_xml`,
  :func:`format_fair1m_xml` (the writer of FAIR1M tiles).
* :mod:`.hrsc` - HRSC2016 XML (``HRSC_Object`` with the H-Box ``box_*`` and the R-Box ``mbox_*``
  of the same ship, angle in radians, and ``seg_color``): :func:`read_hrsc_xml`,
  :func:`instance_masks_from_colors`.
"""
from .annotation_error import AnnotationError
from .dior import DIOR_CLASSES, DIORAnnotation, read_dior_xml
from .dota import (DOTA_V1_CLASSES, DOTA_V2_CLASSES, DOTA_V15_CLASSES, DOTA_VERSIONS,
                   DOTAAnnotation, DOTAObject, dota_classes, format_dota_object, parse_dota_lines,
                   read_dota_objects, read_dota_txt)
from .fair1m import format_fair1m_xml, read_fair1m_xml
from .hrsc import (HRSCAnnotation, HRSCObject, instance_masks_from_colors, rbox_corners,
                   read_hrsc_xml)
from .objects import ClassMapper, DetObject, as_class_mapper, make_object, normalize_name
from .xml_lines import parse_xml_with_lines

__all__ = [
    'AnnotationError', 'DIOR_CLASSES', 'DIORAnnotation', 'read_dior_xml', 'DOTA_V1_CLASSES',
    'DOTA_V15_CLASSES', 'DOTA_V2_CLASSES', 'DOTA_VERSIONS', 'dota_classes', 'DOTAAnnotation',
    'DOTAObject', 'format_dota_object', 'parse_dota_lines', 'read_dota_objects', 'read_dota_txt',
    'format_fair1m_xml', 'read_fair1m_xml', 'HRSCAnnotation', 'HRSCObject',
    'instance_masks_from_colors', 'rbox_corners', 'read_hrsc_xml', 'ClassMapper', 'DetObject',
    'as_class_mapper', 'make_object', 'normalize_name', 'parse_xml_with_lines'
]
