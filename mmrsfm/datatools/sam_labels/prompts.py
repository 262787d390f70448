"""SAM prompts from detection annotations (SAMRS, Sec. 2.3 of the paper).

* H-Box: the annotation's horizontal box.
* RH-Box: the smallest horizontal box enclosing the rotated box (SAM takes no rotated boxes).
* ``auto``: H-Box when the object has a horizontal box, RH-Box for rotated-only annotations (the
  rule the paper's prompt study arrives at).
* point: the centre of the (rotated) box as one foreground point (prompt study only).

Boxes are ``x1, y1, x2, y2`` in pixels, points ``x, y``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ...datasets.formats import DetObject

BOX_PROMPTS = ('hbox', 'rhbox', 'auto')


def rhbox_from_polygon(poly: np.ndarray) -> np.ndarray:
    """RH-Box ``(4,)`` ``x1, y1, x2, y2`` enclosing the corners ``(N, 2)`` of a rotated box.

    Args:
        poly (np.ndarray): ``(N, 2)`` corners ``x, y`` in pixels (or ``(2N,)`` flat).

    Returns:
        np.ndarray: ``(4,)`` float64 box ``x1, y1, x2, y2`` in pixels.
    """
    poly = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    return np.concatenate([poly.min(axis=0), poly.max(axis=0)])


def box_prompt(obj: DetObject, mode: str) -> np.ndarray:
    """The box prompt ``(4,)`` of one object for ``mode`` in :data:`BOX_PROMPTS`.

    Args:
        obj (DetObject): The annotated object (horizontal box ``hbox`` and/or rotated
            corners ``poly``).
        mode (str): ``'hbox'``, ``'rhbox'`` or ``'auto'`` (see the module docstring).

    Returns:
        np.ndarray: ``(4,)`` float64 box ``x1, y1, x2, y2`` in pixels (not clipped).

    Raises:
        ValueError: ``mode='hbox'`` for an object that only has a rotated box, or an unknown
            ``mode``.
    """
    if mode not in BOX_PROMPTS:
        raise ValueError(f'unknown box prompt {mode!r}; expected one of {BOX_PROMPTS}')
    if mode == 'hbox' or (mode == 'auto' and obj.hbox is not None):
        if obj.hbox is None:
            raise ValueError('the object has only a rotated box: use the rhbox (or auto) prompt')
        return np.asarray(obj.hbox, dtype=np.float64)
    if obj.poly is not None:
        return rhbox_from_polygon(obj.poly)
    return np.asarray(obj.hbox, dtype=np.float64)


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
