"""Reading and writing DOTA ``labelTxt`` annotation files, and the class sets of the DOTA
versions.

A released DOTA file may start with two header lines, ``imagesource:<source>`` and
``gsd:<metres per pixel or null>``, followed by one object per line::

    x1 y1 x2 y2 x3 y3 x4 y4 <class> [<difficult>]

Coordinates are pixels of the full image (corners in order around the object). ``difficult``
is 0 or 1 in the release (0 when missing); the splitter writes 2 for objects cut by a patch
border, as the official devkit does.
"""
from __future__ import annotations

import codecs
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .annotation_error import AnnotationError
from .objects import ClassMapper, DetObject, as_class_mapper, make_object

#: The 15 DOTA-v1.0 classes, in the label order of mmrotate's ``DOTADataset``.
DOTA_V1_CLASSES = ('plane', 'baseball-diamond', 'bridge', 'ground-track-field', 'small-vehicle',
                   'large-vehicle', 'ship', 'tennis-court', 'basketball-court', 'storage-tank',
                   'soccer-ball-field', 'roundabout', 'harbor', 'swimming-pool', 'helicopter')

#: The 16 DOTA-v1.5 classes: DOTA-v1.0's and ``container-crane``, in the label order of
#: mmrotate's ``DOTAv15Dataset``.
DOTA_V15_CLASSES = DOTA_V1_CLASSES + ('container-crane', )

#: The 18 DOTA-v2.0 classes: DOTA-v1.5's, ``airport`` and ``helipad``, in the label order of
#: mmrotate's ``DOTAv2Dataset``. (SAMRS's SOTA lists the same 18 names in another order,
#: :data:`mmrsfm.datasets.samrs_metainfo.SOTA_CLASSES`.)
DOTA_V2_CLASSES = DOTA_V15_CLASSES + ('airport', 'helipad')

#: The class set of each DOTA version, by the names :func:`dota_classes` accepts.
DOTA_VERSIONS: Dict[str, Tuple[str, ...]] = {
    'v1.0': DOTA_V1_CLASSES,
    'v1.5': DOTA_V15_CLASSES,
    'v2.0': DOTA_V2_CLASSES,
}

_HEADER_KEYS = ('imagesource', 'gsd')


def _read_class_file(path: str) -> Tuple[str, ...]:
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as err:
        line = err.object.count(b'\n', 0, err.start) + 1
        raise AnnotationError(path, line, 'expected a UTF-8 text file with one class name per '
                              f'line, found byte {err.object[err.start:err.start + 1]!r}') from None
    classes: List[str] = []
    first_line: Dict[str, int] = {}
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        name = raw_line.strip()
        if not name or name.startswith('#'):
            continue
        if len(name.split()) != 1:
            raise AnnotationError(path, lineno, f'class name {name!r} contains whitespace; DOTA '
                                  'label lines are split at whitespace, so a class name cannot')
        if name in first_line:
            raise AnnotationError(path, lineno, f'class {name!r} is listed twice (first on line '
                                  f'{first_line[name]})')
        first_line[name] = lineno
        classes.append(name)
    if not classes:
        raise AnnotationError(path, None, 'no class names (expected one name per line)')
    return tuple(classes)


def dota_classes(spec: str) -> Tuple[str, ...]:
    """The class names, in label order, of a DOTA version or of a class file.

    Args:
        spec (str): ``'v1.0'``, ``'v1.5'`` or ``'v2.0'`` (the leading ``v`` is optional) for
            :data:`DOTA_V1_CLASSES`, :data:`DOTA_V15_CLASSES` or :data:`DOTA_V2_CLASSES`; or the
            path of a UTF-8 text file with one class name per line, in label order (blank
            lines and lines starting with ``#`` are skipped).

    Returns:
        Tuple[str, ...]: The class names in label order.

    Raises:
        FileNotFoundError: if ``spec`` is neither a version nor an existing file.
        AnnotationError: (a ``ValueError``) naming the class file (and line) when it holds no
            name, a name twice, a name with whitespace or bytes that are not UTF-8.

    Examples:
        >>> len(dota_classes('v2.0')), dota_classes('1.5')[-1]
        (18, 'container-crane')
    """
    key = spec.strip().lower()
    key = key if key.startswith('v') else 'v' + key
    if key in DOTA_VERSIONS:
        return DOTA_VERSIONS[key]
    if not osp.isfile(spec):
        raise FileNotFoundError(f'{spec}: neither a DOTA version ({", ".join(DOTA_VERSIONS)}) '
                                'nor a class file (one class name per line)')
    return _read_class_file(spec)


@dataclass
class DOTAObject:
    """One object of a DOTA file, as written.

    Attributes:
        poly (np.ndarray): Corners of shape (4, 2) in pixels, in file order.
        name (str): Class name as written.
        difficult (int): The difficult flag (0 when the line has none).
        line (int, optional): 1-based line of the object in its file. Defaults to None.
    """
    poly: np.ndarray
    name: str
    difficult: int = 0
    line: Optional[int] = None


@dataclass
class DOTAAnnotation:
    """The objects and header of one DOTA file.

    Attributes:
        objects (List[DOTAObject]): The objects in file order.
        image_source (str, optional): The ``imagesource:`` header; ``None`` when absent.
        gsd (float, optional): The ``gsd:`` header in metres per pixel; ``None`` when absent or
            ``null``.
    """
    objects: List[DOTAObject] = field(default_factory=list)
    image_source: Optional[str] = None
    gsd: Optional[float] = None


def parse_dota_lines(lines: Sequence[str],
                     source: str = '<lines>',
                     classes: Optional[Sequence[str]] = None) -> DOTAAnnotation:
    """Parse the lines of a DOTA annotation file.

    Args:
        lines (Sequence[str]): The file's lines.
        source (str): Name used in errors (the file path). Defaults to ``'<lines>'``.
        classes (Sequence[str], optional): Allowed class names; ``None`` accepts any name.
            Defaults to None.

    Returns:
        DOTAAnnotation: The objects and the header values.

    Raises:
        AnnotationError: (a ``ValueError``) naming ``source`` and the 1-based line number of a
            malformed line.
    """
    ann = DOTAAnnotation()
    allowed = set(classes) if classes is not None else None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(':')
        if sep and key.strip().lower() in _HEADER_KEYS:
            value = value.strip()
            if key.strip().lower() == 'imagesource':
                ann.image_source = value or None
            elif value and value.lower() != 'null':
                try:
                    ann.gsd = float(value)
                except ValueError:
                    raise AnnotationError(source, lineno, 'gsd must be a number or null, got '
                                          f'{value!r}') from None
            continue
        tokens = line.split()
        if len(tokens) not in (9, 10):
            raise AnnotationError(source, lineno, 'expected 8 coordinates, a class name and an '
                                  f'optional difficult flag (9 or 10 fields), found {len(tokens)}'
                                  f': {line!r}')
        try:
            coords = [float(t) for t in tokens[:8]]
        except ValueError:
            raise AnnotationError(source, lineno, 'the first 8 fields must be numbers '
                                  f'(non-numeric coordinate in {line!r})') from None
        if not all(math.isfinite(c) for c in coords):
            raise AnnotationError(source, lineno, f'non-finite coordinate in {line!r}')
        name = tokens[8]
        if allowed is not None and name not in allowed:
            raise AnnotationError(source, lineno, f'unknown class {name!r}; expected one of '
                                  f'{sorted(allowed)}')
        difficult = 0
        if len(tokens) == 10:
            try:
                difficult = int(tokens[9])
            except ValueError:
                raise AnnotationError(source, lineno, 'difficult flag must be an integer, got '
                                      f'{tokens[9]!r}') from None
        ann.objects.append(DOTAObject(np.array(coords, dtype=np.float64).reshape(4, 2), name,
                                      difficult, line=lineno))
    return ann


def read_dota_txt(path: str, classes: Optional[Sequence[str]] = None) -> DOTAAnnotation:
    """Read a DOTA annotation file (with or without the ``imagesource``/``gsd`` header).

    The file is decoded as UTF-8; a leading byte order mark (as Windows editors write) is
    dropped.

    Args:
        path (str): The ``.txt`` file.
        classes (Sequence[str], optional): Allowed class names; ``None`` accepts any name.
            Defaults to None.

    Returns:
        DOTAAnnotation: The objects and the header values.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        AnnotationError: (a ``ValueError``) naming the file and line of a malformed line or of
            the first byte that is not UTF-8.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as err:
        undecoded = err.object  # without the BOM: ``start`` counts from there
        line = undecoded.count(b'\n', 0, err.start) + 1
        found = 'a UTF-16 file' if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            else f'byte {undecoded[err.start:err.start + 1]!r} ({err.reason})'
        raise AnnotationError(path, line, f'expected UTF-8 (or ASCII) text, found {found}; '
                              're-save the file as UTF-8') from None
    # Universal newlines, as open() in text mode reads them.
    lines = text.replace('\r\n', '\n').replace('\r', '\n').split('\n')
    return parse_dota_lines(lines, source=path, classes=classes)


def format_dota_object(poly: np.ndarray, name: str, difficult: int, decimals: int = 2) -> str:
    """One annotation line of a DOTA file.

    Args:
        poly (np.ndarray): Corners of shape (4, 2) (or (8,)) in pixels.
        name (str): Class name.
        difficult (int): The difficult flag (2 marks an object cut by a patch border).
        decimals (int): Digits after the decimal point of the coordinates. Defaults to 2.

    Returns:
        str: ``x1 y1 ... x4 y4 name difficult``, without a newline.
    """
    coords = ' '.join(f'{v:.{decimals}f}' for v in np.asarray(poly, dtype=np.float64).ravel())
    return f'{coords} {name} {int(difficult)}'


def read_dota_objects(path: str, classes: Union[Sequence[str], ClassMapper]) -> List[DetObject]:
    """Read the objects of a DOTA file as :class:`.DetObject` with class indices.

    Reads with :func:`read_dota_txt`; a ``difficult`` value > 0 (1 in the release, 2 for objects
    cut by a patch border) marks the object difficult.

    Args:
        path (str): The ``.txt`` file.
        classes (Sequence[str] | ClassMapper): Target classes, in label order, or a mapper that
            also renames or drops source classes.

    Returns:
        List[DetObject]: The objects in file order, with ``poly`` (4, 2) in pixels (and ``hbox``
        when the corners are axis-aligned).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        AnnotationError: (a ``ValueError``) naming ``path`` and the line of a malformed line, an
            unknown class or a non-finite coordinate.
    """
    mapper = as_class_mapper(classes)
    objects = []
    for entry in read_dota_txt(path).objects:
        obj = make_object(mapper, entry.name, path, entry.line, poly=entry.poly,
                          difficult=entry.difficult > 0)
        if obj is not None:
            objects.append(obj)
    return objects
