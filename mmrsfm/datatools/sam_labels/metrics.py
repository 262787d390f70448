"""The prompt-study metrics of SAMRS (Eq. 1 of the paper), over instances.

For instance ``i`` with intersection ``I_i`` and union ``U_i`` (pixels) of its predicted and
ground-truth masks::

    mIoU_I = mean_i(I_i / U_i)              # every instance counts the same
    mIoU_P = sum_i(I_i) / sum_i(U_i)        # pixel-weighted: large instances count more

Instances whose predicted and ground-truth masks are both empty (``U_i = 0``) are left out, as in
the authors' evaluation. Results are percentages, like Table 1 of the paper.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np


def intersection_union(pred: np.ndarray, gt: np.ndarray) -> Tuple[int, int]:
    """Pixel counts ``(|pred & gt|, |pred | gt|)`` of two ``(H, W)`` binary masks.

    Args:
        pred (np.ndarray): ``(H, W)`` predicted mask (bool or 0/1).
        gt (np.ndarray): ``(H, W)`` ground-truth mask (bool or 0/1).

    Returns:
        Tuple[int, int]: Intersection and union in pixels.

    Raises:
        ValueError: If the mask shapes differ.
    """
    pred, gt = np.asarray(pred, dtype=bool), np.asarray(gt, dtype=bool)
    if pred.shape != gt.shape:
        raise ValueError(f'mask shapes differ: {pred.shape} vs {gt.shape}')
    return int(np.count_nonzero(pred & gt)), int(np.count_nonzero(pred | gt))


class InstanceIoU:
    """Accumulates ``I_i`` and ``U_i`` over instances; :meth:`compute` gives mIoU_I / mIoU_P.

    Examples:
        >>> import numpy as np
        >>> pred, gt = np.zeros((4, 4), bool), np.zeros((4, 4), bool)
        >>> pred[:2], gt[:1] = True, True
        >>> metric = InstanceIoU()
        >>> metric.add(pred, gt, label=0)
        >>> metric.compute()['mIoU_I']
        50.0
    """

    def __init__(self) -> None:
        self.intersections: List[int] = []
        self.unions: List[int] = []
        self.labels: List[Optional[int]] = []
        self.num_empty = 0

    def add(self, pred: np.ndarray, gt: np.ndarray, label: Optional[int] = None) -> None:
        """Add one instance; one whose masks are both empty is only counted in ``num_empty``.

        Args:
            pred (np.ndarray): ``(H, W)`` predicted mask (bool or 0/1).
            gt (np.ndarray): ``(H, W)`` ground-truth mask (bool or 0/1).
            label (int, optional): Class of the instance, for the per-class scores.
                Defaults to None (counted in the overall scores only).
        """
        inter, union = intersection_union(pred, gt)
        if union == 0:
            self.num_empty += 1
            return
        self.intersections.append(inter)
        self.unions.append(union)
        self.labels.append(label)

    @staticmethod
    def _scores(inter: np.ndarray, union: np.ndarray) -> Dict[str, float]:
        if union.size == 0:
            return dict(mIoU_I=float('nan'), mIoU_P=float('nan'), num_instances=0)
        return dict(mIoU_I=float(100 * np.mean(inter / union)),
                    mIoU_P=float(100 * inter.sum() / union.sum()), num_instances=int(union.size))

    def compute(self) -> dict:
        """``mIoU_I``, ``mIoU_P`` (percent), ``num_instances``, ``num_empty`` (left out) and
        ``per_class`` (the same scores per label, for instances added with a label).

        Returns:
            dict: The scores; ``mIoU_I`` and ``mIoU_P`` are NaN when no instance was counted.
        """
        inter = np.asarray(self.intersections, dtype=np.float64)
        union = np.asarray(self.unions, dtype=np.float64)
        result = self._scores(inter, union)
        result['num_empty'] = self.num_empty
        groups: Dict[int, List[int]] = defaultdict(list)
        for i, label in enumerate(self.labels):
            if label is not None:
                groups[label].append(i)
        result['per_class'] = {label: self._scores(inter[idx], union[idx])
                               for label, idx in sorted(groups.items())}
        return result
