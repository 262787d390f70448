"""DOTA task-1 mAP on full images, computed from detections on split patches, for mmrotate
validation and testing loops."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmrotate.registry import METRICS

from .functional.dota_eval import eval_dota_task1, load_dota_ground_truth
from .functional.dota_merge import merge_patch_detections, to_quadrilaterals, write_task1_files


@METRICS.register_module()
class DOTAMergedMetric(BaseMetric):
    """Merge patch detections back to full images and score them as the DOTA devkit does.

    Patches must be named ``<image>__<rate>__<x>___<y>`` (``tools/dataset_converters/
    dota_split.py``); any rates are undone. Ground truth comes from the full-image label files
    of the evaluated images (``<ann_dir>/<image>.txt``, e.g. ``data/DOTA/val/labelTxt``).

    Reported keys: ``mAP`` and ``AP_<class>`` for each class with non-difficult ground truth,
    in [0, 1] (see :func:`~mmrsfm.evaluation.functional.eval_dota_task1`).

    Args:
        ann_dir (str): Folder of the full-image DOTA label files.
        iou_thr (float): IoU threshold of a true positive (strictly above). Defaults to 0.5.
        merge_iou_thr (float): IoU threshold of the class-wise rotated NMS that merges
            patches. Defaults to 0.1.
        use_07_metric (bool): VOC07 11-point AP (the devkit's) or, if False, area AP.
            Defaults to True.
        outfile_prefix (str, optional): Folder to also write the merged detections to as
            ``Task1_<class>.txt`` files. Defaults to None (no files).
        collect_device (str): ``'cpu'`` or ``'gpu'``, the device results are gathered on
            across processes, as for mmengine metrics. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to None (``'dota_full'``).

    Examples:
        >>> from mmrotate.registry import METRICS
        >>> metric = METRICS.build(
        ...     dict(type='DOTAMergedMetric', ann_dir='data/DOTA/val/labelTxt'))
        >>> metric.prefix
        'dota_full'
        >>> # in a config:
        >>> val_evaluator = dict(type='DOTAMergedMetric', ann_dir='data/DOTA/val/labelTxt')
    """

    default_prefix: Optional[str] = 'dota_full'

    def __init__(self,
                 ann_dir: str,
                 iou_thr: float = 0.5,
                 merge_iou_thr: float = 0.1,
                 use_07_metric: bool = True,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_dir = ann_dir
        self.iou_thr = iou_thr
        self.merge_iou_thr = merge_iou_thr
        self.use_07_metric = use_07_metric
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store ``(img_id, bboxes, scores, labels)`` as numpy arrays per patch.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The detector's outputs, each with ``img_id`` (the
                patch name) and ``pred_instances`` holding ``bboxes`` (N, 5) rotated boxes or
                (N, 8) quadrilaterals in patch pixels, ``scores`` (N,) and ``labels`` (N,).
        """
        for sample in data_samples:
            pred = sample['pred_instances']
            arrays = []
            for key in ('bboxes', 'scores', 'labels'):
                value = getattr(pred[key], 'tensor', pred[key])  # mmrotate box structures
                arrays.append(value.detach().cpu().numpy())
            self.results.append((sample['img_id'], *arrays))

    def compute_metrics(self, results: list) -> dict:
        """Merge the patches of every image and score the images against their label files.

        Args:
            results (list): The stored results of :meth:`process`, gathered from all
                processes.

        Returns:
            dict: ``mAP`` and ``AP_<class>``, in [0, 1].
        """
        classes = list(self.dataset_meta['classes'])
        merged = merge_patch_detections(results, len(classes), self.merge_iou_thr)
        if self.outfile_prefix:
            write_task1_files(merged, classes, self.outfile_prefix)
        detections = {
            img_id: [np.concatenate([to_quadrilaterals(d[:, :-1]), d[:, -1:]], axis=1)
                     for d in per_class]
            for img_id, per_class in merged.items()
        }
        gts = load_dota_ground_truth(self.ann_dir, classes, image_ids=sorted(merged))
        scores = eval_dota_task1(detections, gts, classes, self.iou_thr, self.use_07_metric)
        out = {'mAP': scores['mAP']}
        out.update({f'AP_{cls}': ap for cls, ap in scores['AP'].items()})
        return out
