"""SAM prompts from detection annotations (SAMRS, Sec. 2.3 and 2.5 of the paper).

* H-Box: the object's horizontal box: the annotated one (DIOR ``<bndbox>``), or for a polygon
  outline (DOTA, ``poly_kind='polygon'``) its enclosing axis-aligned box, the way DOTA defines
  its own HBB ground truth. A rotated box alone (FAIR1M, DIOR-R ``<robndbox>``) has none.
* RH-Box: the smallest horizontal box enclosing the rotated box or polygon (SAM takes no rotated
  boxes). For a polygon outline it is the same box as its H-Box.
* ``auto``: H-Box when the object has one, else RH-Box (the rule the paper's prompt study
  arrives at).
* point: the centre of the (rotated) box as one foreground point (prompt study only).

Per SAMRS subset the paper prompted SOTA (DOTA-v2.0) and SIOR (DIOR) with H-Boxes and FAST
(FAIR1M-2.0, rotated boxes only) with RH-Boxes (Sec. 2.5); :func:`default_prompt` gives that
choice for a ``--classes`` value.

Boxes are ``x1, y1, x2, y2`` in pixels, points ``x, y``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ...datasets.formats import DetObject

BOX_PROMPTS = ('hbox', 'rhbox', 'auto')
#: The box prompt of each SAMRS subset in the paper (Sec. 2.5): H-Box for DOTA-v2.0 and DIOR,
#: RH-Box for FAIR1M-2.0.
SUBSET_PROMPTS = {'sota': 'hbox', 'sior': 'hbox', 'fast': 'rhbox'}


def default_prompt(classes: str) -> str:
    """The box prompt the paper used for a ``--classes`` value.

    Args:
        classes (str): ``'sota'``, ``'sior'``, ``'fast'`` (any case), or a class-map file.

    Returns:
        str: :data:`SUBSET_PROMPTS` of the subset (``'hbox'``, ``'hbox'``, ``'rhbox'``);
        ``'auto'`` for anything else (a custom class map).
    """
    return SUBSET_PROMPTS.get(str(classes).lower(), 'auto')


def rhbox_from_polygon(poly: np.ndarray) -> np.ndarray:
    """RH-Box ``(4,)`` ``x1, y1, x2, y2`` enclosing the corners ``(N, 2)`` of a rotated box.

    Args:
        poly (np.ndarray): ``(N, 2)`` corners ``x, y`` in pixels (or ``(2N,)`` flat).

    Returns:
        np.ndarray: ``(4,)`` float64 box ``x1, y1, x2, y2`` in pixels.
    """
    poly = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    return np.concatenate([poly.min(axis=0), poly.max(axis=0)])


def horizontal_box(obj: DetObject) -> Optional[np.ndarray]:
    """The object's H-Box, if it has one.

    Args:
        obj (DetObject): The annotated object.

    Returns:
        np.ndarray | None: ``(4,)`` float64 ``x1, y1, x2, y2`` in pixels: ``obj.hbox`` when
        set, else the enclosing box of a polygon outline (``poly_kind='polygon'``); ``None``
        for an object with only a rotated box.
    """
    if obj.hbox is not None:
        return np.asarray(obj.hbox, dtype=np.float64)
    if obj.poly is not None and obj.poly_kind == 'polygon':
        return rhbox_from_polygon(obj.poly)
    return None


def prompt_kind(obj: DetObject, mode: str) -> str:
    """The box prompt type ``mode`` gives for ``obj``: ``'hbox'`` or ``'rhbox'``.

    Args:
        obj (DetObject): The annotated object.
        mode (str): ``'hbox'``, ``'rhbox'`` or ``'auto'`` (see the module docstring).

    Returns:
        str: ``'hbox'`` or ``'rhbox'``; ``'rhbox'`` on an object with a horizontal box only
        gives ``'hbox'`` (there is nothing rotated to enclose).

    Raises:
        ValueError: ``mode='hbox'`` for an object that only has a rotated box, or an unknown
            ``mode``.
    """
    if mode not in BOX_PROMPTS:
        raise ValueError(f'unknown box prompt {mode!r}; expected one of {BOX_PROMPTS}')
    has_hbox = obj.hbox is not None or (obj.poly is not None and obj.poly_kind == 'polygon')
    if mode == 'hbox' or (mode == 'auto' and has_hbox):
        if not has_hbox:
            raise ValueError('the object has only a rotated box (no H-Box): use the rhbox '
                             '(or auto) prompt')
        return 'hbox'
    return 'rhbox' if obj.poly is not None else 'hbox'


def box_prompt(obj: DetObject, mode: str) -> np.ndarray:
    """The box prompt ``(4,)`` of one object for ``mode`` in :data:`BOX_PROMPTS`.

    Args:
        obj (DetObject): The annotated object (horizontal box ``hbox`` and/or corners
            ``poly`` of a rotated box or a polygon outline, see ``poly_kind``).
        mode (str): ``'hbox'``, ``'rhbox'`` or ``'auto'`` (see the module docstring).

    Returns:
        np.ndarray: ``(4,)`` float64 box ``x1, y1, x2, y2`` in pixels (not clipped).

    Raises:
        ValueError: ``mode='hbox'`` for an object that only has a rotated box, or an unknown
            ``mode``.
    """
    if prompt_kind(obj, mode) == 'hbox':
        return horizontal_box(obj)
    return rhbox_from_polygon(obj.poly)


def center_point(obj: DetObject) -> np.ndarray:
    """Centre ``(2,)`` of the rotated box (mean of its corners), else of the horizontal box.

    Args:
        obj (DetObject): The annotated object.

    Returns:
        np.ndarray: ``(2,)`` point ``x, y`` in pixels.
    """
    if obj.poly is not None:
        return np.asarray(obj.poly, dtype=np.float64).mean(axis=0)
    x1, y1, x2, y2 = obj.hbox
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2])


def clip_box(box: np.ndarray, width: int, height: int) -> Optional[np.ndarray]:
    """``box`` clipped to the image ``[0, width] x [0, height]``; ``None`` if nothing is left.

    Args:
        box (np.ndarray): ``(4,)`` box ``x1, y1, x2, y2`` in pixels.
        width (int): Image width in pixels.
        height (int): Image height in pixels.

    Returns:
        np.ndarray | None: The ``(4,)`` clipped box, or ``None`` when it has no area inside
        the image.
    """
    clipped = np.array([np.clip(box[0], 0, width), np.clip(box[1], 0, height),
                        np.clip(box[2], 0, width), np.clip(box[3], 0, height)])
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        return None
    return clipped


def build_box_prompts(objects: Sequence[DetObject], mode: str, width: int, height: int
                      ) -> Tuple[np.ndarray, List[int], List[Tuple[Optional[int], str]]]:
    """Box prompts of an image's objects, clipped to the image.

    Args:
        objects (Sequence[DetObject]): The image's objects.
        mode (str): ``'hbox'``, ``'rhbox'`` or ``'auto'`` (see the module docstring).
        width (int): Image width in pixels.
        height (int): Image height in pixels.

    Returns:
        Tuple[np.ndarray, List[int], List[Tuple[int | None, str]]]: ``boxes (K, 4)`` float64
        ``x1, y1, x2, y2`` in pixels, the indices of the ``K`` objects kept, and
        ``(line, reason)`` of each object left out (no box of the requested kind, empty box,
        box outside the image).
    """
    boxes, kept, dropped = [], [], []
    for i, obj in enumerate(objects):
        try:
            box = box_prompt(obj, mode)
        except ValueError as err:
            dropped.append((obj.line, str(err)))
            continue
        clipped = clip_box(box, width, height)
        if clipped is None:
            dropped.append((obj.line, f'empty box or box outside the {width}x{height} image: '
                            f'{np.round(box, 2).tolist()}'))
            continue
        boxes.append(clipped)
        kept.append(i)
    return np.array(boxes, dtype=np.float64).reshape(-1, 4), kept, dropped
