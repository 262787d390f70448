"""Annotation file formats: one reader (and writer, where we write the format) per format.

Datasets, metrics and the offline data tools all read annotation files through these modules,
so every format has one parser and one kind of error (:class:`AnnotationError`, which names the
file and line).

* :mod:`.dota` - DOTA ``labelTxt`` files (8-point polygons, optional header lines).
"""
from .annotation_error import AnnotationError
from .dota import (DOTA_V1_CLASSES, DOTAAnnotation, DOTAObject, format_dota_object,
                   parse_dota_lines, read_dota_txt)

__all__ = [
    'AnnotationError', 'DOTA_V1_CLASSES', 'DOTAAnnotation', 'DOTAObject', 'format_dota_object',
    'parse_dota_lines', 'read_dota_txt'
]
