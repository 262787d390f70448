"""The SAMRS prompt study (Table 1 of the paper): SAM masks from H-Box, RH-Box and centre-point
prompts compared with ground-truth instance masks by mIoU_I / mIoU_P.

Ground truth is a COCO instances dict (``segmentation`` as polygons or RLE). Per annotation:

* H-Box: its ``bbox`` (``[x, y, w, h]``);
* rotated box: its ``rbox`` (8 numbers ``x1 y1 ... x4 y4``, an extra key) when present, else the
  minimum-area rectangle of the ground-truth mask (``cv2.minAreaRect``);
* RH-Box: the horizontal box enclosing the rotated box;
* point: the centre of the rotated box, one foreground point.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np
from pycocotools.coco import COCO
from tqdm import tqdm

from .metrics import InstanceIoU
from .prompts import rhbox_from_polygon
from .sam_labeler import SamBoxLabeler

STUDY_PROMPTS = ('hbox', 'rhbox', 'point')
PROMPT_NAMES = {'hbox': 'H-Box', 'rhbox': 'RH-Box', 'point': 'CP (centre point)'}


def rotated_box_of(ann: dict, gt_mask: np.ndarray) -> np.ndarray:
    """Rotated-box corners ``(4, 2)``: the annotation's ``rbox`` or the mask's min-area rect.

    Args:
        ann (dict): COCO annotation (``bbox`` ``[x, y, w, h]``, optional ``rbox``).
        gt_mask (np.ndarray): ``(H, W)`` bool ground-truth mask; when empty, the corners of
            ``bbox`` are used.

    Returns:
        np.ndarray: ``(4, 2)`` float64 corners ``x, y`` in pixels.
    """
    if 'rbox' in ann:
        return np.asarray(ann['rbox'], dtype=np.float64).reshape(4, 2)
    ys, xs = np.nonzero(gt_mask)
    if xs.size == 0:
        x, y, w, h = ann['bbox']
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    # Pixel centres +/- 0.5 so a one-pixel-wide mask still has an area.
    pts = np.concatenate([np.stack([xs + dx, ys + dy], axis=1)
                          for dx in (0, 1) for dy in (0, 1)]).astype(np.float32)
    return cv2.boxPoints(cv2.minAreaRect(pts)).astype(np.float64)


def instance_prompts(ann: dict, gt_mask: np.ndarray) -> Dict[str, np.ndarray]:
    """The study prompts of one ground-truth instance: boxes ``(4,)`` xyxy, point ``(2,)``.

    Args:
        ann (dict): COCO annotation (``bbox`` ``[x, y, w, h]``, optional ``rbox``).
        gt_mask (np.ndarray): ``(H, W)`` bool ground-truth mask.

    Returns:
        Dict[str, np.ndarray]: ``hbox`` and ``rhbox`` ``(4,)`` ``x1, y1, x2, y2`` and
        ``point`` ``(2,)`` ``x, y``, in pixels.
    """
    x, y, w, h = (float(v) for v in ann['bbox'])
    poly = rotated_box_of(ann, gt_mask)
    return dict(hbox=np.array([x, y, x + w, y + h]), rhbox=rhbox_from_polygon(poly),
                point=poly.mean(axis=0))


def evaluate_prompts(labeler: SamBoxLabeler, coco: COCO, image_dir: str,
                     prompts: Sequence[str] = STUDY_PROMPTS, progress: bool = True) -> dict:
    """mIoU_I / mIoU_P of each prompt type over every instance of ``coco``.

    The image embedding is computed once per image; each prompt type's prompts are decoded in
    batches. Returns ``{prompt: InstanceIoU.compute() result}``.

    Args:
        labeler (SamBoxLabeler): SAM wrapper that decodes the prompts.
        coco (COCO): Ground truth; crowd annotations are skipped.
        image_dir (str): Folder of the images (``file_name`` is relative to it).
        prompts (Sequence[str]): Prompt types to study, from ``STUDY_PROMPTS``.
            Defaults to ``STUDY_PROMPTS`` (``('hbox', 'rhbox', 'point')``).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: Per prompt type, the :meth:`InstanceIoU.compute` result (per class keyed by
        ``category_id``).

    Raises:
        ValueError: If ``prompts`` names an unknown prompt type.
        FileNotFoundError: Naming an image of the ground truth that is missing or unreadable.
    """
    unknown = set(prompts) - set(STUDY_PROMPTS)
    if unknown:
        raise ValueError(f'unknown prompts {sorted(unknown)}; expected {STUDY_PROMPTS}')
    metrics = {p: InstanceIoU() for p in prompts}
    for image_id in tqdm(sorted(coco.getImgIds()), desc='prompt study', disable=not progress):
        info = coco.loadImgs(image_id)[0]
        anns = [a for a in coco.loadAnns(coco.getAnnIds(imgIds=image_id))
                if not a.get('iscrowd', 0)]
        if not anns:
            continue
        path = osp.join(image_dir, info['file_name'])
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f'{path}: missing or unreadable image (listed in the '
                                    f'ground truth as image {image_id})')
        gt_masks = [coco.annToMask(a).astype(bool) for a in anns]
        per_instance = [instance_prompts(a, m) for a, m in zip(anns, gt_masks)]
        labeler.set_image(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        for prompt in prompts:
            values = np.stack([p[prompt] for p in per_instance])
            decode = labeler.predict_points if prompt == 'point' else labeler.predict_boxes
            preds: List[np.ndarray] = []
            for masks, _ in decode(values):
                preds.extend(masks)
            for pred, gt, ann in zip(preds, gt_masks, anns):
                metrics[prompt].add(pred, gt, label=ann['category_id'])
    return {p: m.compute() for p, m in metrics.items()}


def format_table(results: dict) -> str:
    """Table-1 style text: one row per prompt with mIoU_I, mIoU_P and the instance count.

    Args:
        results (dict): The result of :func:`evaluate_prompts`.

    Returns:
        str: A header line and one line per prompt type, without a trailing newline.
    """
    rows = [f'{"prompt":<20}{"mIoU_I":>8}{"mIoU_P":>8}{"instances":>11}']
    for prompt, r in results.items():
        rows.append(f'{PROMPT_NAMES[prompt]:<20}{r["mIoU_I"]:>8.2f}{r["mIoU_P"]:>8.2f}'
                    f'{r["num_instances"]:>11d}')
    return '\n'.join(rows)
