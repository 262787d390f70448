"""DOTA task-1 (oriented boxes) evaluation of detections on full images, as the official DOTA
devkit scores them (``dota_evaluation_task1.voc_eval``), built on mmrotate's matching
(``tpfp_default`` with mmcv's quadrilateral IoU) and mmdet's ``average_precision``.

Rules shared with the devkit: per class, detections are ranked by score over all images; a
detection is a true positive when its best-overlapping ground truth (difficult ones included)
has IoU above ``iou_thr`` (0.5) and was not matched before; a match with a difficult object
counts neither way; recall is over non-difficult objects; AP is the VOC07 11-point AP. The
one documented difference: a class without any non-difficult ground truth gets no AP and is
left out of the mAP (the devkit divides by zero and reports NaN for it and for the mAP).
mmrotate's ``eval_rbbox_map`` is not used directly because it drops the difficult objects of an
image that has no other object of any class, turning matches with them into false positives.
"""
from __future__ import annotations

import glob
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import average_precision
from mmrotate.evaluation.functional.mean_ap import tpfp_default

from mmrsfm.datasets.preparation.dota_annotations import DOTA_V1_CLASSES, read_dota_txt

#: Image id -> per class an array (M, 9): 8 corner coordinates + score.
Detections = Dict[str, List[np.ndarray]]


def load_task1_detections(det_dir: str,
                          classes: Sequence[str] = DOTA_V1_CLASSES) -> Detections:
    """Read ``Task1_<class>.txt`` files (``<image id> <score> x1 y1 ... x4 y4`` per line).

    A missing class file means no detections of that class.

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
        image_ids: Images to read (``<ann_dir>/<id>.txt``); defaults to every ``.txt`` file.
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


def eval_dota_task1(detections: Detections,
                    ground_truth: Dict[str, dict],
                    classes: Sequence[str] = DOTA_V1_CLASSES,
                    iou_thr: float = 0.5,
                    use_07_metric: bool = True) -> dict:
    """DOTA task-1 AP per class and mAP over full images.

    Args:
        detections: See :data:`Detections`; images absent from it have no detections.
        ground_truth: Image id -> dict from :func:`load_dota_ground_truth`; its images are the
            evaluated set.
        iou_thr: IoU threshold (the devkit's ``ovthresh``).
        use_07_metric: VOC07 11-point AP (the devkit's task-1 setting) or area under the curve.

    Returns:
        ``{'mAP': float, 'AP': {class: float}, 'num_gts': {class: int}}`` with APs in [0, 1];
        classes without non-difficult ground truth are absent from ``AP`` and the mAP.

    Raises:
        ValueError: naming detections on an image that is not in ``ground_truth``.
    """
    unknown = sorted(set(detections) - set(ground_truth))
    if unknown:
        raise ValueError(f'detections on {len(unknown)} image(s) without ground truth, e.g. '
                         f'{unknown[:3]}')
    image_ids = sorted(ground_truth)
    empty = np.zeros((0, 9))
    aps, num_gts = {}, {}
    for cls_index, cls in enumerate(classes):
        tps, fps, scores = [], [], []
        count = 0
        for img_id in image_ids:
            gt = ground_truth[img_id]
            dets = detections.get(img_id, [empty] * len(classes))[cls_index]
            gt_boxes = gt['bboxes'][gt['labels'] == cls_index]
            gt_ignore = gt['bboxes_ignore'][gt['labels_ignore'] == cls_index]
            count += len(gt_boxes)
            if len(dets) == 0:
                continue
            tp, fp = tpfp_default(dets.astype(np.float32), gt_boxes.astype(np.float32),
                                  gt_ignore.astype(np.float32), iou_thr, box_type='qbox')
            tps.append(tp[0])
            fps.append(fp[0])
            scores.append(dets[:, -1])
        num_gts[cls] = count
        if count == 0:
            continue
        if not scores:
            aps[cls] = 0.0
            continue
        order = np.argsort(-np.concatenate(scores), kind='stable')
        tp = np.cumsum(np.concatenate(tps)[order])
        fp = np.cumsum(np.concatenate(fps)[order])
        recalls = tp / count
        precisions = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        aps[cls] = float(average_precision(recalls, precisions,
                                           '11points' if use_07_metric else 'area'))
    mean_ap = float(np.mean(list(aps.values()))) if aps else 0.0
    return {'mAP': mean_ap, 'AP': aps, 'num_gts': num_gts}
