"""The detection-annotation formats SAMRS label generation prompts SAM with, by name.

The readers themselves live in :mod:`mmrsfm.datasets.formats` (shared with the datasets and the
conversion tools); this module maps the ``--format`` names of ``tools/samrs/generate_labels.py``
to them:

* ``dota``: DOTA ``*.txt`` (:func:`~mmrsfm.datasets.formats.read_dota_objects`); the four
  corners are a polygon outline: its horizontal box is the enclosing axis-aligned box, which is
  how DOTA defines its own HBB ground truth.
* ``dior``: DIOR / DIOR-R VOC XML, ``<bndbox>`` and/or ``<robndbox>``
  (:func:`~mmrsfm.datasets.formats.read_dior_xml`); ``<robndbox>`` is a rotated box.
* ``fair1m``: FAIR1M XML (:func:`~mmrsfm.datasets.formats.read_fair1m_xml`); rotated boxes only.

:data:`POLY_KIND` states, per format, what the corners mean; :func:`load_objects` sets it on
every object (``DetObject.poly_kind``), so the prompt builder never has to guess.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List

from mmrsfm.datasets.formats import (ClassMapper, DetObject, read_dior_xml, read_dota_objects,
                                     read_fair1m_xml)

ANNOTATION_FORMATS = ('dota', 'dior', 'fair1m')
ANNOTATION_SUFFIX = {'dota': '.txt', 'dior': '.xml', 'fair1m': '.xml'}
#: What the corners of each format describe (see ``mmrsfm.datasets.formats.objects.POLY_KINDS``).
POLY_KIND = {'dota': 'polygon', 'dior': 'rbox', 'fair1m': 'rbox'}

_READERS: Dict[str, Callable[[str, ClassMapper], List[DetObject]]] = {
    'dota': read_dota_objects,
    'dior': lambda path, mapper: read_dior_xml(path, mapper).objects,
    'fair1m': read_fair1m_xml,
}


def load_objects(path: str, fmt: str, mapper: ClassMapper) -> List[DetObject]:
    """Read the objects of one annotation file.

    Args:
        path (str): The annotation file.
        fmt (str): Its format, one of :data:`ANNOTATION_FORMATS` (``'dota'``, ``'dior'``,
            ``'fair1m'``).
        mapper (ClassMapper): The target classes; objects of classes it drops are left out.

    Returns:
        List[DetObject]: The objects in file order, boxes in pixels, ``poly_kind`` set from
        :data:`POLY_KIND`.

    Raises:
        ValueError: for an unknown ``fmt``.
        AnnotationError: (a ``ValueError``) naming the file and line of a malformed entry.
    """
    if fmt not in _READERS:
        raise ValueError(f'unknown annotation format {fmt!r}; expected one of {ANNOTATION_FORMATS}')
    kind = POLY_KIND[fmt]
    return [o if o.poly_kind == kind else dataclasses.replace(o, poly_kind=kind)
            for o in _READERS[fmt](path, mapper)]
