"""The object every detection-annotation reader returns, and the class map that labels it.

:class:`DetObject` is one annotated object with its class index in a target class list, its
horizontal and/or rotated box in pixels (``x`` to the right, ``y`` down) and the line it was read
from. :class:`ClassMapper` turns the class names written in an annotation file into those
indices, case- and separator-insensitively, with optional renames and drops.
"""
from __future__ import annotations

import json
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from ..samrs_metainfo import SAMRS_CLASSES
from .annotation_error import AnnotationError

#: What the corners ``poly`` of a :class:`DetObject` describe: ``'rbox'`` a rotated box (FAIR1M,
#: DIOR-R ``<robndbox>``), ``'polygon'`` an object outline (DOTA's quadrilaterals, whose
#: horizontal box is defined as the polygon's enclosing axis-aligned box).
POLY_KINDS = ('rbox', 'polygon')


@dataclass
class DetObject:
    """One annotated object.

    Attributes:
        label (int): Class index in the target class list.
        name (str): Class name as written in the annotation file.
        hbox (np.ndarray, optional): Horizontal box of shape (4,), ``x1, y1, x2, y2`` in pixels,
            when the annotation has one (or its rotated box is axis-aligned), else ``None``.
        poly (np.ndarray, optional): Rotated-box corners of shape (4, 2) in pixels when the
            annotation has them, else ``None``.
        difficult (bool): The ``difficult`` flag of DOTA / VOC annotations.
        line (int, optional): 1-based line of the object in its annotation file.
        poly_kind (str): What ``poly`` describes, one of :data:`POLY_KINDS`: ``'rbox'`` (a
            rotated box, the default) or ``'polygon'`` (an outline whose horizontal box is its
            enclosing axis-aligned box, as for DOTA).

    Raises:
        ValueError: if ``poly_kind`` is not one of :data:`POLY_KINDS`.
    """
    label: int
    name: str
    hbox: Optional[np.ndarray] = None
    poly: Optional[np.ndarray] = None
    difficult: bool = False
    line: Optional[int] = None
    poly_kind: str = 'rbox'

    def __post_init__(self) -> None:
        if self.poly_kind not in POLY_KINDS:
            raise ValueError(f'poly_kind must be one of {POLY_KINDS}, got {self.poly_kind!r}')


def normalize_name(name: str) -> str:
    """The case- and separator-insensitive key of a class name.

    Args:
        name (str): A class name, e.g. ``'Expressway-Service-area'`` or ``'Small Car'``.

    Returns:
        str: ``name`` stripped and lower-cased, with runs of spaces and underscores replaced by
        one hyphen (``'expressway-service-area'``, ``'small-car'``).
    """
    return re.sub(r'[\s_]+', '-', name.strip()).lower()


@dataclass
class ClassMapper:
    """Maps class names of an annotation file to indices of a target class list.

    Names match after :func:`normalize_name` (case, and spaces / underscores as hyphens), so
    DIOR's ``Expressway-Service-area`` finds SIOR's ``expressway-service-area`` and FAIR1M's
    ``Small Car`` finds FAST's ``Small-Car``. ``rename`` maps source names to target names
    first; a source name mapped to ``None`` is dropped (skipped by the readers, not an error).

    Args:
        classes (Sequence[str]): The target class names, in label order.
        rename (Dict[str, Optional[str]]): Source name -> target class name, or ``None`` to drop
            the objects of that source class. Defaults to an empty dict.

    Raises:
        ValueError: if two names of ``classes`` have the same normalised key.

    Examples:
        >>> mapper = ClassMapper(('plane', 'small-vehicle'), rename={'helicopter': None})
        >>> mapper.lookup('Small Vehicle'), mapper.lookup('helicopter')
        (1, None)
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
        """The class index of a source class name.

        Args:
            name (str): Class name as written in the annotation file.

        Returns:
            int, optional: Index in :attr:`classes`; ``None`` when ``rename`` drops the class.

        Raises:
            KeyError: if ``name`` (after renaming) is none of the classes.
        """
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
        """A mapper from a SAMRS subset name or a class-map JSON file.

        Args:
            spec (str): ``'sota'``, ``'sior'`` or ``'fast'`` (any case) for the class list of
                that SAMRS subset; or the path of a JSON file holding a list of class names, or
                ``{"classes": [...] or "sota"/"sior"/"fast", "map": {"source name": "class" or
                null}}``.

        Returns:
            ClassMapper: The mapper ``spec`` describes.

        Raises:
            FileNotFoundError: if ``spec`` is neither a subset name nor a file.
            AnnotationError: naming the JSON file (and line) when it is not valid JSON or not
                of the two forms above.
        """
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


def as_class_mapper(classes: Union[Sequence[str], ClassMapper]) -> ClassMapper:
    """``classes`` as a :class:`ClassMapper`.

    Args:
        classes (Sequence[str] | ClassMapper): A mapper, returned as is, or the target class
            names in label order.

    Returns:
        ClassMapper: The mapper of ``classes``.
    """
    return classes if isinstance(classes, ClassMapper) else ClassMapper(tuple(classes))


def _is_axis_aligned(poly: np.ndarray, tol: float = 1e-3) -> bool:
    xs, ys = poly[:, 0], poly[:, 1]
    return (np.all(np.isclose(xs, xs.min(), atol=tol) | np.isclose(xs, xs.max(), atol=tol))
            and np.all(np.isclose(ys, ys.min(), atol=tol) | np.isclose(ys, ys.max(), atol=tol)))


def make_object(mapper: ClassMapper,
                name: str,
                path: str,
                line: Optional[int],
                hbox: Optional[np.ndarray] = None,
                poly: Optional[np.ndarray] = None,
                difficult: bool = False,
                poly_kind: str = 'rbox') -> Optional[DetObject]:
    """A :class:`DetObject` from the fields a reader found, its class looked up in ``mapper``.

    An object with corners but no horizontal box gets the bounds of its corners as ``hbox``
    when they are axis-aligned (within 1e-3 px).

    Args:
        mapper (ClassMapper): The target classes.
        name (str): Class name as written in the file.
        path (str): The annotation file, named in errors.
        line (int, optional): 1-based line of the object, named in errors.
        hbox (np.ndarray, optional): Horizontal box (4,) ``x1, y1, x2, y2`` in pixels.
            Defaults to None.
        poly (np.ndarray, optional): Rotated-box corners (4, 2) in pixels. Defaults to None.
        difficult (bool): The ``difficult`` flag. Defaults to False.
        poly_kind (str): What ``poly`` describes, ``'rbox'`` or ``'polygon'`` (see
            :class:`DetObject`). Defaults to 'rbox'.

    Returns:
        DetObject, optional: The object; ``None`` when ``mapper`` drops its class.

    Raises:
        AnnotationError: naming ``path`` and ``line`` for an unknown class or a non-finite
            coordinate.
    """
    try:
        label = mapper.lookup(name)
    except KeyError:
        raise AnnotationError(path, line, f'unknown class {name!r}; expected one of '
                              f'{list(mapper.classes)}') from None
    if label is None:
        return None
    if not all(np.all(np.isfinite(a)) for a in (hbox, poly) if a is not None):
        raise AnnotationError(path, line, 'non-finite coordinate')
    if hbox is None and poly is not None and _is_axis_aligned(poly):
        hbox = np.concatenate([poly.min(axis=0), poly.max(axis=0)])
    return DetObject(label=label, name=name, hbox=hbox, poly=poly, difficult=difficult,
                     line=line, poly_kind=poly_kind)
