"""Macro-F1 overall and per class group (head / middle / tail) for long-tailed classification."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

GROUP_NAMES = ('head', 'middle', 'tail')


@METRICS.register_module()
class LongTailF1(BaseMetric):
    """Macro-F1 over all classes and over each of the head / middle / tail groups.

    A group's score is the mean, over the classes of the group, of each class's one-vs-rest F1
    computed on all test samples (what ``sklearn.metrics.f1_score(..., labels=group,
    average='macro')`` reports). Scores are in percent.

    Args:
        groups: ``{'head': [class indices], 'middle': [...], 'tail': [...]}``. If ``None``, the
            dataset's metainfo must provide ``class_groups`` in the same form.
        prefix: Metric name prefix. Defaults to ``'long-tail'``.

    Examples:
        >>> val_evaluator = dict(type='LongTailF1', groups=dict(head=[0, 1], tail=[4]))
    """
    default_prefix = 'long-tail'

    def __init__(self,
                 groups: Optional[Dict[str, Sequence[int]]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if groups is not None:
            unknown = set(groups) - set(GROUP_NAMES)
            if unknown:
                raise ValueError(f'unknown class groups {sorted(unknown)}; use {GROUP_NAMES}')
        self.groups = groups

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_label' in sample:
                pred = int(sample['pred_label'].reshape(-1)[0])
            else:
                pred = int(sample['pred_score'].argmax())
            self.results.append((pred, int(sample['gt_label'].reshape(-1)[0])))

    def _resolve_groups(self) -> Dict[str, List[int]]:
        groups = self.groups
        if groups is None:
            groups = (self.dataset_meta or {}).get('class_groups')
        if groups is None:
            raise ValueError('LongTailF1 needs groups=dict(head=[...], middle=[...], tail=[...]) '
                             "or the dataset's metainfo['class_groups']")
        return {name: [int(c) for c in groups.get(name, [])] for name in GROUP_NAMES}

    def compute_metrics(self, results: list) -> Dict[str, float]:
        import torch
        from mmpretrain.evaluation import SingleLabelMetric

        preds, labels = (torch.tensor(x, dtype=torch.int64) for x in zip(*results))
        groups = self._resolve_groups()
        grouped = sorted(c for members in groups.values() for c in members)
        num_classes = int(max(preds.max(), labels.max(), *grouped, 0)) + 1
        # mmpretrain's per-class one-vs-rest F1 (percent; 0 for a class never predicted nor
        # present, like scikit-learn's zero_division=0).
        f1 = SingleLabelMetric.calculate(preds, labels, average=None,
                                         num_classes=num_classes)[2].numpy()
        metrics = {'macro_f1': f1[grouped].mean() if grouped else f1.mean()}
        for name, members in groups.items():
            if members:
                metrics[f'{name}_f1'] = f1[members].mean()
        return {k: float(v) for k, v in metrics.items()}
