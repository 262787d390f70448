"""DOTA task-1 (oriented boxes) evaluation of detections on full images, as the official DOTA
devkit scores them (``dota_evaluation_task1.voc_eval``), with polygon IoU from shapely and AP from
mmdet's ``average_precision``.

Rules shared with the devkit: per class, detections are ranked by score over all images; a
detection is a true positive when its best-overlapping ground truth (difficult ones included)
has IoU above ``iou_thr`` (strictly, 0.5) and was not matched before; a match with a difficult
object counts neither way; recall is over non-difficult objects; AP is the VOC07 11-point AP.
The one documented difference: a class without any non-difficult ground truth gets no AP and is
left out of the mAP (the devkit divides by zero and reports NaN for it and for the mAP).

mmrotate's ``eval_rbbox_map(box_type='qbox')`` is not used: it drops the difficult objects of an
image that has no non-difficult object (matches with them become false positives), and
``mmcv.ops.box_iou_quadri`` assumes one vertex orientation (counter-clockwise on screen, the order
mmrotate's ``rbox2qbox`` produces): for DOTA's clockwise label order it returns wrong IoUs (1.0002
instead of 0.7073 for ``96 77 119 86 104 123 81 114`` and ``101 81 119 87 101 117 80 114``; the
same boxes with reversed vertices give 0.7073). shapely's polygon overlay is orientation-free and
agrees with the devkit's polyiou.
"""
from __future__ import annotations

import glob
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import shapely
from mmdet.evaluation.functional import average_precision

from mmrsfm.datasets.formats.dota import DOTA_V1_CLASSES, read_dota_txt

#: Image id -> per class an array (M, 9): 8 corner coordinates + score.
Detections = Dict[str, List[np.ndarray]]


def load_task1_detections(det_dir: str,
                          classes: Sequence[str] = DOTA_V1_CLASSES) -> Detections:
    """Read ``Task1_<class>.txt`` files (``<image id> <score> x1 y1 ... x4 y4`` per line).

    A missing class file means no detections of that class.

    Args:
        det_dir (str): Folder of the ``Task1_<class>.txt`` files.
        classes (Sequence[str]): Class names, in label order. Defaults to
            :data:`DOTA_V1_CLASSES` (the 15 DOTA-v1.0 classes).

    Returns:
        Detections: Image id -> per class (in ``classes`` order) an array (M, 9) of the 8
        corner coordinates (pixels) and the score; only images with a detection appear.

    Raises:
        ValueError: naming the file and line of a malformed line.
    """
    dets: Dict[str, List[list]] = defaultdict(lambda: [[] for _ in classes])
    for cls_index, cls in enumerate(classes):
        path = osp.join(det_dir, f'Task1_{cls}.txt')
        if not osp.isfile(path):
            continue
        with open(path) as f:
            for lineno, line in enumerate(f, start=1):
                tokens = line.split()
                if not tokens:
                    continue
                if len(tokens) != 10:
                    raise ValueError(f'{path}:{lineno}: expected "<image id> <score> x1 y1 ... '
                                     f'x4 y4" (10 fields), got {len(tokens)}: {line.strip()!r}')
                try:
                    values = [float(t) for t in tokens[1:]]
                except ValueError:
                    raise ValueError(f'{path}:{lineno}: score and coordinates must be numbers: '
                                     f'{line.strip()!r}') from None
                dets[tokens[0]][cls_index].append(values[1:] + values[:1])
    return {img: [np.array(d, dtype=np.float64).reshape(-1, 9) for d in per_class]
            for img, per_class in dets.items()}


def load_dota_ground_truth(ann_dir: str,
                           classes: Sequence[str] = DOTA_V1_CLASSES,
                           image_ids: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Read full-image DOTA annotation files into mmrotate's annotation dicts.

    Objects with a non-zero difficulty go to ``bboxes_ignore`` / ``labels_ignore``.

    Args:
        ann_dir (str): Folder of the full-image DOTA label files (``<id>.txt``).
        classes (Sequence[str]): Class names, in label order. Defaults to
            :data:`DOTA_V1_CLASSES`.
        image_ids (Sequence[str], optional): Images to read (``<ann_dir>/<id>.txt``).
            Defaults to None (every ``.txt`` file of ``ann_dir``, sorted).

    Returns:
        dict[str, dict]: Image id -> ``bboxes`` (N, 8) float64 corners in pixels and
        ``labels`` (N,) int64 of the non-difficult objects, ``bboxes_ignore`` (K, 8) and
        ``labels_ignore`` (K,) of the difficult ones.
    """
    if image_ids is None:
        image_ids = sorted(osp.splitext(osp.basename(p))[0]
                           for p in glob.glob(osp.join(ann_dir, '*.txt')))
    index = {c: i for i, c in enumerate(classes)}
    gts = {}
    for img_id in image_ids:
        ann = read_dota_txt(osp.join(ann_dir, f'{img_id}.txt'), classes)
        keep = [o for o in ann.objects if o.difficult == 0]
        hard = [o for o in ann.objects if o.difficult != 0]
        gts[img_id] = dict(
            bboxes=np.array([o.poly.ravel() for o in keep], dtype=np.float64).reshape(-1, 8),
            labels=np.array([index[o.name] for o in keep], dtype=np.int64),
            bboxes_ignore=np.array([o.poly.ravel() for o in hard],
                                   dtype=np.float64).reshape(-1, 8),
            labels_ignore=np.array([index[o.name] for o in hard], dtype=np.int64))
    return gts


def polygon_ious(polys1: np.ndarray, polys2: np.ndarray) -> np.ndarray:
    """IoU of (M, 8) and (N, 8) quadrilaterals (corners ``x1 y1 ... x4 y4``) as (M, N).

    A self-intersecting corner order is replaced by its convex hull.

    Args:
        polys1 (np.ndarray): Quadrilaterals (M, 8), corners in any orientation.
        polys2 (np.ndarray): Quadrilaterals (N, 8).

    Returns:
        np.ndarray: IoUs (M, N) in [0, 1]; 0 where both polygons have no area.

    Examples:
        >>> square = np.array([[0, 0, 2, 0, 2, 2, 0, 2]])
        >>> half = np.array([[1, 0, 2, 0, 2, 2, 1, 2]])
        >>> polygon_ious(square, half)
        array([[0.5]])
    """
    def to_polygons(quads: np.ndarray) -> np.ndarray:
        polys = shapely.polygons(np.asarray(quads, dtype=np.float64).reshape(-1, 4, 2))
        invalid = ~shapely.is_valid(polys)
        polys[invalid] = shapely.convex_hull(polys[invalid])
        return polys

    a, b = to_polygons(polys1)[:, None], to_polygons(polys2)[None, :]
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(a) + shapely.area(b) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def match_detections(dets: np.ndarray, gt_boxes: np.ndarray, gt_hard: np.ndarray,
                     iou_thr: float) -> np.ndarray:
    """Greedy matching of one image's detections of one class, in decreasing score order.

    Args:
        dets (np.ndarray): Detections (M, 9): 8 corner coordinates + score.
        gt_boxes (np.ndarray): Non-difficult ground truth (N, 8).
        gt_hard (np.ndarray): Difficult ground truth (K, 8).
        iou_thr (float): A detection matches a ground truth with IoU strictly above it.

    Returns:
        np.ndarray: Outcomes (M,) int64 in the order of ``dets``: 1 true positive, 0 false
        positive, -1 ignored (matched a difficult object).
    """
    result = np.zeros(len(dets), dtype=np.int64)
    gts = np.concatenate([gt_boxes, gt_hard]).reshape(-1, 8)
    if len(gts) == 0:
        return result
    hard = np.arange(len(gts)) >= len(gt_boxes)
    ious = polygon_ious(dets[:, :8], gts)
    covered = np.zeros(len(gts), dtype=bool)
    for i in np.argsort(-dets[:, -1], kind='stable'):
        j = int(np.argmax(ious[i]))
        if ious[i, j] > iou_thr:
            if hard[j]:
                result[i] = -1
            elif not covered[j]:
                covered[j] = True
                result[i] = 1
    return result


def eval_dota_task1(detections: Detections,
                    ground_truth: Dict[str, dict],
                    classes: Sequence[str] = DOTA_V1_CLASSES,
                    iou_thr: float = 0.5,
                    use_07_metric: bool = True) -> dict:
    """DOTA task-1 AP per class and mAP over full images.

    Args:
        detections (Detections): See :data:`Detections`; images absent from it have no
            detections.
        ground_truth (dict[str, dict]): Image id -> dict from :func:`load_dota_ground_truth`;
            its images are the evaluated set.
        classes (Sequence[str]): Class names, in label order. Defaults to
            :data:`DOTA_V1_CLASSES`.
        iou_thr (float): IoU threshold (the devkit's ``ovthresh``). Defaults to 0.5.
        use_07_metric (bool): VOC07 11-point AP (the devkit's task-1 setting) or, if False,
            area under the curve. Defaults to True.

    Returns:
        dict: ``{'mAP': float, 'AP': {class: float}, 'num_gts': {class: int}}`` with APs in [0, 1];
        classes without non-difficult ground truth are absent from ``AP`` and the mAP.

    Raises:
        ValueError: naming detections on an image that is not in ``ground_truth``.
    """
    unknown = sorted(set(detections) - set(ground_truth))
    if unknown:
        raise ValueError(f'detections on {len(unknown)} image(s) without ground truth, e.g. '
                         f'{unknown[:3]}')
    empty = np.zeros((0, 9))
    aps, num_gts = {}, {}
    for cls_index, cls in enumerate(classes):
        scores, hits = [], []  # hit: 1 true positive, 0 false positive, -1 ignored
        count = 0
        for img_id in sorted(ground_truth):
            gt = ground_truth[img_id]
            gt_boxes = gt['bboxes'][gt['labels'] == cls_index]
            gt_hard = gt['bboxes_ignore'][gt['labels_ignore'] == cls_index]
            count += len(gt_boxes)
            dets = detections.get(img_id, [empty] * len(classes))[cls_index]
            if len(dets):
                scores.append(dets[:, -1])
                hits.append(match_detections(dets, gt_boxes, gt_hard, iou_thr))
        num_gts[cls] = count
        if count == 0:
            continue
        if not scores:
            aps[cls] = 0.0
            continue
        order = np.argsort(-np.concatenate(scores), kind='stable')
        hit = np.concatenate(hits)[order]
        tp = np.cumsum(hit == 1)
        fp = np.cumsum(hit == 0)
        recalls = tp / count
        precisions = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        aps[cls] = float(average_precision(recalls, precisions,
                                           '11points' if use_07_metric else 'area'))
    mean_ap = float(np.mean(list(aps.values()))) if aps else 0.0
    return {'mAP': mean_ap, 'AP': aps, 'num_gts': num_gts}
