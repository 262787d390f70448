"""Merging detections on DOTA patches back to full images and writing DOTA task-1 submission
files.

A patch ``<id>__<rate>__<x>___<y>`` was cut at ``(x, y)`` from the image rescaled by ``rate``
(see :mod:`.dota_split`): a box on it maps back by adding the offset and dividing by the rate.
Duplicates from overlapping patches are removed by class-wise rotated NMS (mmcv's
``nms_rotated``), IoU threshold 0.1 as mmrotate's ``DOTAMetric`` uses. Quadrilateral
detections are suppressed through their minimum-area rectangles (mmrotate's ``qbox2rbox``) and
written unchanged: mmcv's ``nms_quadri`` relies on ``box_iou_quadri``, which gives wrong IoUs
for DOTA's clockwise vertex order (see :mod:`mmrsfm.evaluation.functional.dota_eval`). Unlike
``DOTAMetric(merge_patches=True)`` the rate is undone, so multi-scale patches merge correctly.
"""
from __future__ import annotations

import os
import os.path as osp
import pickle
import re
import zipfile
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.ops import nms_rotated
from mmrotate.structures.bbox.box_converters import qbox2rbox

from mmrsfm.utils.atomic_io import atomic_write_text

from ...utils.safe_pickle import (BUILTIN_GLOBALS, NUMPY_GLOBALS, TORCH_TENSOR_GLOBALS,
                                  restricted_load)

_IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.txt')
_PATCH_RE = re.compile(r'^(?P<id>.+)__(?P<rate>\d+(?:\.\d+)?)__(?P<x>\d+)___(?P<y>\d+)$')

#: One patch's detections: name, boxes (N, 5) ``cx, cy, w, h, angle (rad)`` or (N, 8)
#: corners, scores (N, ), 0-based labels (N, ).
PatchDetections = Tuple[str, np.ndarray, np.ndarray, np.ndarray]

#: What mmengine's ``DumpResults`` writes for a detector (``tools/test.py --out``): per image
#: the data sample as a dict of builtins, numpy values and tensors; box structures appear where
#: ``_to_cpu`` leaves them (``gt_instances.bboxes`` of a labelled test set, heads that return
#: box types).
RESULTS_GLOBALS = {
    **BUILTIN_GLOBALS, **NUMPY_GLOBALS, **TORCH_TENSOR_GLOBALS,
    ('mmdet.structures.bbox.horizontal_boxes', 'HorizontalBoxes'): None,
    ('mmrotate.structures.bbox.rotated_boxes', 'RotatedBoxes'): None,
    ('mmrotate.structures.bbox.quadri_boxes', 'QuadriBoxes'): None,
}


def parse_patch_name(name: str) -> Tuple[str, float, int, int]:
    """``'P0003__0.5__824___0'`` -> ``('P0003', 0.5, 824, 0)``.

    Args:
        name (str): A patch name, file name or path (an image or ``.txt`` suffix is dropped).

    Returns:
        tuple[str, float, int, int]: The image id, the rescaling rate and the patch's
        top-left corner ``x``, ``y`` in pixels of the rescaled image.

    Examples:
        >>> parse_patch_name('images/P0003__0.5__824___0.png')
        ('P0003', 0.5, 824, 0)

    Raises:
        ValueError: if ``name`` is not a patch name of the splitter.
    """
    stem = osp.basename(name)
    if stem.lower().endswith(_IMAGE_SUFFIXES):
        stem = osp.splitext(stem)[0]
    match = _PATCH_RE.match(stem)
    if match is None:
        raise ValueError(f'{name!r} is not a DOTA patch name <id>__<rate>__<x>___<y>')
    return match['id'], float(match['rate']), int(match['x']), int(match['y'])


def patch_boxes_to_image(boxes: np.ndarray, x: int, y: int, rate: float) -> np.ndarray:
    """Map (N, 5) rotated or (N, 8) quadrilateral boxes from patch to full-image pixels.

    Args:
        boxes (np.ndarray): Boxes in patch pixels: (N, 5) ``cx, cy, w, h, angle`` (the angle
            is kept) or (N, 8) corners.
        x (int): Left edge of the patch in the rescaled image (pixels).
        y (int): Top edge of the patch in the rescaled image (pixels).
        rate (float): The rescaling rate the patch was cut at.

    Returns:
        np.ndarray: float64 boxes of the same shape, in full-image pixels.

    Raises:
        ValueError: If the boxes have neither 5 nor 8 values.
    """
    boxes = np.asarray(boxes, dtype=np.float64).copy()
    if boxes.shape[-1] == 5:
        boxes[:, :2] += (x, y)
        boxes[:, :4] /= rate
    elif boxes.shape[-1] == 8:
        boxes += np.tile([x, y], 4)
        boxes /= rate
    else:
        raise ValueError(f'boxes must be (N, 5) rotated or (N, 8) quadrilateral, got '
                         f'{boxes.shape}')
    return boxes


def _nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float) -> np.ndarray:
    # mmcv's CPU kernel runs in float32; the returned indices keep the float64 boxes exact.
    dets = torch.from_numpy(boxes.astype(np.float32))
    if boxes.shape[1] == 8:
        dets = qbox2rbox(dets)
    _, keep = nms_rotated(dets, torch.from_numpy(scores.astype(np.float32)), iou_thr)
    return keep.numpy()


def merge_patch_detections(patches: Iterable[PatchDetections],
                           num_classes: int,
                           iou_thr: float = 0.1) -> Dict[str, List[np.ndarray]]:
    """Merge patch detections into full-image detections.

    Args:
        patches (Iterable[PatchDetections]): Detections per patch (see
            :data:`PatchDetections`).
        num_classes (int): Number of classes; labels must lie in ``[0, num_classes)``.
        iou_thr (float): IoU threshold of the class-wise NMS. Defaults to 0.1.

    Returns:
        dict[str, list[np.ndarray]]: Image id -> per class an array (M, 6) or (M, 9): boxes
        in full-image pixels + score, sorted by decreasing score.

    Raises:
        ValueError: If a patch name is malformed or a label is out of range.
    """
    collected: Dict[str, list] = defaultdict(list)
    for name, boxes, scores, labels in patches:
        img_id, rate, x, y = parse_patch_name(name)
        if len(scores) == 0:
            collected.setdefault(img_id, [])
            continue
        boxes = np.asarray(boxes, dtype=np.float64).reshape(len(scores), -1)
        full = patch_boxes_to_image(boxes, x, y, rate)
        collected[img_id].append((full, np.asarray(scores, dtype=np.float64),
                                  np.asarray(labels, dtype=np.int64)))
    merged: Dict[str, List[np.ndarray]] = {}
    for img_id, parts in collected.items():
        width = parts[0][0].shape[1] if parts else 5
        boxes = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, width))
        scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        labels = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f'{img_id}: label {labels.max()} outside [0, {num_classes})')
        per_class = []
        for cls in range(num_classes):
            idx = np.flatnonzero(labels == cls)
            if idx.size:
                idx = idx[_nms(boxes[idx], scores[idx], iou_thr)]
                idx = idx[np.argsort(-scores[idx], kind='stable')]
            per_class.append(np.concatenate([boxes[idx], scores[idx, None]], axis=1))
        merged[img_id] = per_class
    return merged


def to_quadrilaterals(boxes: np.ndarray) -> np.ndarray:
    """(N, 5) rotated boxes (radians) -> (N, 8) corners; (N, 8) is returned unchanged.

    Args:
        boxes (np.ndarray): (N, 5) ``cx, cy, w, h, angle`` with the angle in radians, or
            (N, 8) corners.

    Returns:
        np.ndarray: float64 corners (N, 8) ``x1 y1 ... x4 y4``, in the order of mmrotate's
        ``rbox2qbox``.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.shape[-1] == 8:
        return boxes
    ctr, w, h, theta = boxes[:, :2], boxes[:, 2:3], boxes[:, 3:4], boxes[:, 4:5]
    vec1 = np.concatenate([w / 2 * np.cos(theta), w / 2 * np.sin(theta)], axis=1)
    vec2 = np.concatenate([-h / 2 * np.sin(theta), h / 2 * np.cos(theta)], axis=1)
    # Same corner order as mmrotate's rbox2qbox.
    return np.concatenate([ctr + vec1 + vec2, ctr + vec1 - vec2, ctr - vec1 - vec2,
                           ctr - vec1 + vec2], axis=1)


def write_task1_files(merged: Dict[str, List[np.ndarray]],
                      classes: Sequence[str],
                      out_dir: str,
                      zip_name: Optional[str] = None) -> List[str]:
    """Write DOTA task-1 files ``Task1_<class>.txt`` (``<image id> <score> x1 y1 ... x4 y4``
    per detection), optionally zipped for the evaluation server.

    Args:
        merged (dict[str, list[np.ndarray]]): Output of :func:`merge_patch_detections`.
        classes (Sequence[str]): Class names, in label order; one file per class is written,
            empty when it has no detection.
        out_dir (str): Folder of the files (created if needed).
        zip_name (str, optional): Name of a zip of the files in ``out_dir``, e.g.
            ``'Task1.zip'``. Defaults to None (no zip).

    Returns:
        list[str]: The written file paths (the zip last, when requested).
    """
    lines: Dict[str, List[str]] = {c: [] for c in classes}
    for img_id in sorted(merged):
        for cls, dets in zip(classes, merged[img_id]):
            if len(dets) == 0:
                continue
            quads = to_quadrilaterals(dets[:, :-1])
            for quad, score in zip(quads, dets[:, -1]):
                coords = ' '.join(f'{v:.3f}' for v in quad)
                lines[cls].append(f'{img_id} {score:.6f} {coords}\n')
    paths = []
    for cls in classes:
        path = osp.join(out_dir, f'Task1_{cls}.txt')
        atomic_write_text(path, ''.join(lines[cls]))
        paths.append(path)
    if zip_name:
        zip_path = osp.join(out_dir, zip_name)
        tmp = zip_path + '.tmp'
        with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as zf:
            for path in paths:
                zf.write(path, osp.basename(path))
        os.replace(tmp, zip_path)
        paths.append(zip_path)
    return paths


def load_results(path: str, trusted: bool = False) -> list:
    """Read the predictions dumped by ``tools/test.py --out preds.pkl`` without running code.

    Args:
        path (str): The ``.pkl`` file.
        trusted (bool): Unpickle fully (the file can run code); only for files you trust.
            Defaults to False.

    Returns:
        list: One entry per image (see :func:`detections_from_results`).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the file if it is not a pickle, holds objects other than those of
            :data:`RESULTS_GLOBALS` (naming the refused one), or is not a list.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: prediction file not found')
    try:
        if trusted:
            with open(path, 'rb') as f:
                results = pickle.load(f)
        else:
            results = restricted_load(path, RESULTS_GLOBALS,
                                      hint='use --unsafe-load for a file you trust')
    except pickle.UnpicklingError as err:
        raise ValueError(str(err) if str(err).startswith(path) else f'{path}: {err}') from err
    except (EOFError, AttributeError, ImportError, IndexError, TypeError, ValueError) as err:
        raise ValueError(f'{path}: not a results pickle of tools/test.py --out '
                         f'({type(err).__name__}: {err})') from err
    if not isinstance(results, list):
        raise ValueError(f'{path}: expected a list of per-image predictions, got '
                         f'{type(results).__name__}')
    return results


def detections_from_results(results: Sequence[dict]) -> List[PatchDetections]:
    """Patch detections from the predictions dumped by ``tools/test.py --out preds.pkl``
    (mmengine ``DumpResults``: one dict per image with ``img_id``/``img_path`` and
    ``pred_instances`` holding ``bboxes``, ``scores``, ``labels``).

    Args:
        results (Sequence[dict]): The dumped predictions, e.g. from :func:`load_results`.

    Returns:
        list[PatchDetections]: Per image its name (``img_id``, else the file name of
        ``img_path``) and the boxes, scores and labels as numpy arrays.

    Raises:
        ValueError: naming the entry index if it lacks predictions.
    """
    out = []
    for index, result in enumerate(results):
        pred = result.get('pred_instances') if isinstance(result, dict) else None
        if pred is None or not all(k in pred for k in ('bboxes', 'scores', 'labels')):
            raise ValueError(f'entry {index}: expected a dict with pred_instances.bboxes/scores/'
                             f'labels (a DumpResults file of an mmrotate detector)')
        name = result.get('img_id') or osp.basename(result['img_path'])
        arrays = []
        for key in ('bboxes', 'scores', 'labels'):
            value = pred[key]
            value = getattr(value, 'tensor', value)  # mmrotate box structures
            arrays.append(value.cpu().numpy() if hasattr(value, 'cpu') else np.asarray(value))
        out.append((str(name), *arrays))
    return out
