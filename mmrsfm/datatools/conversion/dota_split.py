"""Cutting large DOTA images into fixed-size overlapping patches, as the official DOTA devkit
(``ImgSplit``) does, at one or several scales. The FAIR1M splitter (:mod:`.fair1m_split`) cuts
with the same rule (:func:`cut_patches`).

Facts kept from the devkit: windows of ``size`` px start every ``size - gap`` px and the last
window of a row/column is moved back to end at the image border; images smaller than a window
are zero-padded to ``size`` x ``size``; a patch is named ``<id>__<rate>__<x>___<y>`` (``x``,
``y``: window origin in the rescaled image); an object whose polygon lies fully inside a window
is copied, an object partly inside is clipped to the window (the clipped polygon is kept when
it has 4 corners, a 5-corner one loses its shortest edge, one with 3 or more than 5 corners is
dropped; an object that only touches the window is dropped), and keeps its difficulty when more
than ``iof_thr`` of its area is inside (IoF > 0.7 by default), else it is marked difficult
``2``. Differences: coordinates keep sub-pixel precision (the devkit
truncates the input corners and the output coordinates to integers) and are clipped to
``[0, size]`` (the devkit clamps to ``[1, size]``); the right/bottom edge of the last window is
the image border (the devkit clips objects at ``width - 1`` / ``height - 1`` there).
"""
from __future__ import annotations

import os.path as osp
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from shapely.geometry import Polygon, box
from shapely.geometry.polygon import orient

from mmrsfm.datasets.formats import DetObject
from mmrsfm.datasets.formats.dota import DOTAObject, format_dota_object, read_dota_txt

from .resumable import DoneMarkers, atomic_write_image, atomic_write_text, read_image

#: Difficulty written for objects with at most ``iof_thr`` of their area inside the patch.
TRUNCATED_DIFFICULTY = 2

#: An object to cut: anything with ``poly`` (4, 2), ``name``, ``difficult`` and ``line``.
ObjectLike = Union[DOTAObject, DetObject]


def _window_starts(length: int, size: int, step: int) -> List[int]:
    starts, start = [], 0
    while True:
        if start + size >= length:
            starts.append(max(length - size, 0))
            return starts
        starts.append(start)
        start += step


def sliding_windows(width: int, height: int, size: int = 1024, gap: int = 200) -> np.ndarray:
    """Windows covering a ``width`` x ``height`` image, as ``(K, 4)`` int ``x0, y0, x1, y1``
    (``x1 = min(x0 + size, width)``), column-major like the devkit.

    Args:
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        size (int): Side of a window in pixels. Defaults to 1024.
        gap (int): Overlap of neighbouring windows in pixels; windows start every
            ``size - gap`` pixels. Defaults to 200.

    Returns:
        np.ndarray: ``(K, 4)`` int64 windows ``x0, y0, x1, y1`` in pixels, all ``y`` of the
        first column before those of the next.

    Raises:
        ValueError: if ``gap`` is not in ``[0, size)``.
    """
    if not 0 <= gap < size:
        raise ValueError(f'gap must be in [0, size={size}), got {gap}')
    step = size - gap
    windows = [(x, y, min(x + size, width), min(y + size, height))
               for x in _window_starts(width, size, step)
               for y in _window_starts(height, size, step)]
    return np.array(windows, dtype=np.int64).reshape(-1, 4)


def _five_to_four(points: np.ndarray) -> np.ndarray:
    # The devkit's poly5Topoly4: replace the shortest edge's two corners by its midpoint.
    edges = np.linalg.norm(points - np.roll(points, -1, axis=0), axis=1)
    i = int(np.argsort(edges)[0])
    j = (i + 1) % 5
    mid = (points[i] + points[j]) / 2
    return np.array([mid if k == i else points[k] for k in range(5) if k != j])


def _best_start(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    # The devkit's choose_best_pointorder_fit_another: cyclic shift closest to the original.
    shifts = [np.roll(points, -k, axis=0) for k in range(4)]
    return shifts[int(np.argmin([((s - reference)**2).sum() for s in shifts]))]


def clip_object(poly: np.ndarray,
                window: Sequence[int],
                iof_thr: float = 0.7) -> Optional[Tuple[np.ndarray, bool]]:
    """Part of an object inside a window, in window coordinates.

    Args:
        poly (np.ndarray): ``(4, 2)`` corners ``x, y`` in (rescaled) image pixels.
        window (Sequence[int]): ``x0, y0, x1, y1`` of the window in image pixels.
        iof_thr (float): Minimum fraction of the object's area inside the window for it to
            keep its difficulty. Defaults to 0.7.

    Returns:
        tuple[np.ndarray, bool] | None: ``None`` if the object is outside the window (or
        degenerate, or clipped to more than 5 corners); else ``(corners, truncated)``:
        ``(4, 2)`` float64 corners in pixels relative to the window origin, and ``True`` when
        the inside fraction is at most ``iof_thr``.
    """
    x0, y0, x1, y1 = (float(v) for v in window)
    gt = Polygon(poly)
    if not gt.is_valid:  # self-intersecting corner order: use the outline
        gt = gt.convex_hull
    if gt.area <= 0:
        return None
    inter = gt.intersection(box(x0, y0, x1, y1))
    iof = inter.area / gt.area
    if iof <= 0:
        return None
    origin = np.array([x0, y0])
    if iof >= 1.0 - 1e-12:
        return np.asarray(poly, dtype=np.float64) - origin, False
    if not isinstance(inter, Polygon):
        return None
    points = np.array(orient(inter, sign=1).exterior.coords)[:-1]
    if len(points) < 4 or len(points) > 5:
        return None
    if len(points) == 5:
        points = _five_to_four(points)
    points = _best_start(points, np.asarray(poly, dtype=np.float64)) - origin
    points = np.clip(points, 0, [x1 - x0, y1 - y0])
    return points, iof <= iof_thr


def patch_name(img_id: str, rate: float, x: int, y: int) -> str:
    """Devkit / mmrotate patch name ``<id>__<rate>__<x>___<y>``.

    Args:
        img_id (str): Image name without suffix.
        rate (float): Scale the image was resized by before cutting.
        x (int): Window origin ``x`` in the rescaled image, in pixels.
        y (int): Window origin ``y`` in the rescaled image, in pixels.

    Returns:
        str: The patch name (without suffix), e.g. ``P0000__1.0__824___0``.
    """
    return f'{img_id}__{rate}__{int(x)}___{int(y)}'


def cut_patches(image: np.ndarray,
                objects: Optional[Sequence[ObjectLike]],
                img_id: str,
                rate: float = 1.0,
                size: int = 1024,
                gap: int = 200,
                iof_thr: float = 0.7,
                padding: bool = True) -> Iterator[Tuple[str, np.ndarray,
                                                        Optional[List[DOTAObject]]]]:
    """Cut one image (rescaled by ``rate``) into patches, with its objects clipped to each.

    The splitting rule of the module docstring; shared by the DOTA and the FAIR1M splitters.

    Args:
        image (np.ndarray): ``(H, W, 3)`` image (or ``(H, W)``).
        objects (Sequence, optional): The image's objects, each with ``poly`` (``(4, 2)``
            corners in image pixels), ``name`` and ``difficult`` (a :class:`DOTAObject` or a
            :class:`~mmrsfm.datasets.formats.DetObject`), or ``None`` for an unlabelled image.
        img_id (str): Image name without suffix.
        rate (float): Scale applied to the image and the objects before cutting.
            Defaults to 1.0.
        size (int): Side of a patch in pixels. Defaults to 1024.
        gap (int): Overlap of neighbouring patches in pixels. Defaults to 200.
        iof_thr (float): Minimum fraction of an object's area inside a patch for it to keep
            its difficulty (else it is marked ``2``). Defaults to 0.7.
        padding (bool): Whether to zero-pad border patches smaller than ``size`` x ``size``.
            Defaults to True.

    Yields:
        tuple[str, np.ndarray, list[DOTAObject] | None]: The patch name, the patch image
        (``(size, size, 3)`` when padded) and the objects in it (``None`` when ``objects`` is
        ``None``): corners in patch pixels, the source object's name and line, difficulty
        ``int(source difficulty)``, or ``2`` for an object cut with at most ``iof_thr`` of its
        area inside.
    """
    if rate != 1.0:
        image = cv2.resize(image, None, fx=rate, fy=rate, interpolation=cv2.INTER_CUBIC)
    height, width = image.shape[:2]
    polys = [(o, np.asarray(o.poly, dtype=np.float64) * rate)
             for o in objects] if objects is not None else None
    for x0, y0, x1, y1 in sliding_windows(width, height, size, gap):
        patch = image[y0:y1, x0:x1]
        if padding and patch.shape[:2] != (size, size):
            padded = np.zeros((size, size) + image.shape[2:], dtype=image.dtype)
            padded[:patch.shape[0], :patch.shape[1]] = patch
            patch = padded
        inside = None
        if polys is not None:
            inside = []
            for obj, poly in polys:
                clipped = clip_object(poly, (x0, y0, x1, y1), iof_thr)
                if clipped is None:
                    continue
                corners, truncated = clipped
                difficult = TRUNCATED_DIFFICULTY if truncated else int(obj.difficult)
                inside.append(DOTAObject(corners, obj.name, difficult, line=obj.line))
        yield patch_name(img_id, rate, x0, y0), patch, inside


def split_image(image: np.ndarray,
                objects: Optional[Sequence[ObjectLike]],
                img_id: str,
                rate: float = 1.0,
                size: int = 1024,
                gap: int = 200,
                iof_thr: float = 0.7,
                padding: bool = True) -> Iterator[Tuple[str, np.ndarray, Optional[List[str]]]]:
    """Cut one image (rescaled by ``rate``) into patches with DOTA annotation lines.

    Args:
        image (np.ndarray): ``(H, W, 3)`` image (or ``(H, W)``).
        objects (Sequence[DOTAObject], optional): The image's objects, with corners in image
            pixels, or ``None`` for an unlabelled image.
        img_id (str): Image name without suffix.
        rate (float): Scale applied to the image and the objects before cutting.
            Defaults to 1.0.
        size (int): Side of a patch in pixels. Defaults to 1024.
        gap (int): Overlap of neighbouring patches in pixels. Defaults to 200.
        iof_thr (float): Minimum fraction of an object's area inside a patch for it to keep
            its difficulty (else it is marked ``2``). Defaults to 0.7.
        padding (bool): Whether to zero-pad border patches smaller than ``size`` x ``size``.
            Defaults to True.

    Yields:
        tuple[str, np.ndarray, list[str] | None]: The patch name, the patch image
        (``(size, size, 3)`` when padded) and its DOTA annotation lines (``None`` when
        ``objects`` is ``None``).
    """
    for name, patch, inside in cut_patches(image, objects, img_id, rate, size, gap, iof_thr,
                                           padding):
        lines = None if inside is None else [
            format_dota_object(o.poly, o.name, o.difficult) for o in inside]
        yield name, patch, lines


def split_to_folder(img_path: str,
                    read_objects: Callable[[], Optional[Sequence[ObjectLike]]],
                    write_annotation: Optional[Callable[[str, np.ndarray, List[DOTAObject]],
                                                        None]],
                    out_dir: str,
                    img_id: Optional[str] = None,
                    rates: Sequence[float] = (1.0, ),
                    size: int = 1024,
                    gap: int = 200,
                    iof_thr: float = 0.7,
                    img_ext: str = '.png') -> int:
    """Cut one image into ``out_dir/images`` with :func:`cut_patches`, hand each patch's
    objects to ``write_annotation`` and mark the image done, skipping rates already finished.

    The format-independent part of the DOTA and FAIR1M splitters: the annotation is read only
    when a rate is left to do, every file is written atomically and an image (per rate) is
    marked done in ``out_dir/.done`` after all its patches are written.

    Args:
        img_path (str): Path of the image.
        read_objects (Callable): Called without arguments, returns the image's objects (see
            :func:`cut_patches`), or ``None`` for an unlabelled image.
        write_annotation (Callable, optional): Called as ``write_annotation(name, patch,
            objects)`` for every patch of a labelled image (``objects`` in patch pixels);
            ``None`` writes no annotation.
        out_dir (str): Output folder; patches go to ``images/``, markers to ``.done/``.
        img_id (str, optional): Image id of the patch names and markers; ``None`` uses the
            stem of ``img_path``. Defaults to None.
        rates (Sequence[float]): Scales to cut the image at. Defaults to ``(1.0, )``.
        size (int): Side of a patch in pixels. Defaults to 1024.
        gap (int): Overlap of neighbouring patches in pixels. Defaults to 200.
        iof_thr (float): Minimum fraction of an object's area inside a patch for it to keep
            its difficulty. Defaults to 0.7.
        img_ext (str): Suffix (and format) of the written patches. Defaults to '.png'.

    Returns:
        int: The number of patches written in this call (0 when every rate was already done).

    Raises:
        FileNotFoundError: If the image does not exist.
        ValueError: If the image cannot be read or a patch cannot be encoded.
    """
    if img_id is None:
        img_id = osp.splitext(osp.basename(img_path))[0]
    markers = DoneMarkers(out_dir)
    todo = [r for r in rates if not markers.is_done(f'{img_id}__{r}')]
    if not todo:
        return 0
    objects = read_objects()
    image = read_image(img_path)
    written = 0
    for rate in todo:
        names = []
        for name, patch, inside in cut_patches(image, objects, img_id, rate, size, gap,
                                               iof_thr):
            atomic_write_image(osp.join(out_dir, 'images', name + img_ext), patch)
            if inside is not None and write_annotation is not None:
                write_annotation(name, patch, inside)
            names.append(name)
        markers.mark(f'{img_id}__{rate}', names)
        written += len(names)
    return written


def split_image_file(img_path: str,
                     ann_path: Optional[str],
                     out_dir: str,
                     rates: Sequence[float] = (1.0, ),
                     size: int = 1024,
                     gap: int = 200,
                     iof_thr: float = 0.7,
                     classes: Optional[Sequence[str]] = None,
                     img_ext: str = '.png') -> int:
    """Split one image file (and its annotation file) into ``out_dir/images`` (and
    ``out_dir/annfiles``), skipping rates already finished in an earlier run.

    Args:
        img_path (str): Path of the image; its stem is the image id of the patch names.
        ann_path (str, optional): DOTA annotation file, or ``None`` for unlabelled (test)
            images.
        out_dir (str): Output folder; patches go to ``images/``, annotations to
            ``annfiles/`` and completion markers to ``.done/``.
        rates (Sequence[float]): Scales to cut the image at. Defaults to ``(1.0, )``.
        size (int): Side of a patch in pixels. Defaults to 1024.
        gap (int): Overlap of neighbouring patches in pixels. Defaults to 200.
        iof_thr (float): Minimum fraction of an object's area inside a patch for it to keep
            its difficulty. Defaults to 0.7.
        classes (Sequence[str], optional): Allowed class names (errors name the file and line
            otherwise), e.g. :data:`~mmrsfm.datasets.formats.DOTA_V2_CLASSES`; ``None``
            accepts any name. Defaults to None.
        img_ext (str): Suffix (and format) of the written patches. Defaults to '.png'.

    Returns:
        int: The number of patches written in this call (0 when every rate was already done).

    Raises:
        FileNotFoundError: If the image or the annotation file does not exist.
        ValueError: If the image cannot be read or a patch cannot be encoded, or (as an
            ``AnnotationError``) naming the file and line of a malformed annotation.
    """

    def read_objects() -> Optional[List[DOTAObject]]:
        return read_dota_txt(ann_path, classes).objects if ann_path is not None else None

    def write_annotation(name: str, patch: np.ndarray, inside: List[DOTAObject]) -> None:
        atomic_write_text(osp.join(out_dir, 'annfiles', name + '.txt'), ''.join(
            format_dota_object(o.poly, o.name, o.difficult) + '\n' for o in inside))

    return split_to_folder(img_path, read_objects, write_annotation, out_dir, None, rates, size,
                           gap, iof_thr, img_ext)
