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

    Reported keys: ``macro_f1`` (over the classes of all groups, or over all classes when the
    groups are empty) and ``<group>_f1`` for each non-empty group.

    Args:
        groups (dict[str, Sequence[int]], optional): ``{'head': [class indices], 'middle':
            [...], 'tail': [...]}``; a group may be left out. Defaults to None: the dataset's
            metainfo must then provide ``class_groups`` in the same form.
        collect_device (str): ``'cpu'`` or ``'gpu'``, the device results are gathered on
            across processes. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to None (``'long-tail'``).

    Raises:
        ValueError: If ``groups`` names a group other than ``head``, ``middle``, ``tail``.

    Examples:
        >>> import torch
        >>> from mmpretrain.registry import METRICS
        >>> metric = METRICS.build(dict(type='LongTailF1', groups=dict(head=[0], tail=[1])))
        >>> metric.process(None, [dict(pred_label=torch.tensor([0]), gt_label=torch.tensor([0])),
        ...                       dict(pred_label=torch.tensor([0]), gt_label=torch.tensor([1]))])
        >>> {k: round(v, 2) for k, v in metric.compute_metrics(metric.results).items()}
        {'macro_f1': 33.33, 'head_f1': 66.67, 'tail_f1': 0.0}
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
        """Store ``(predicted class, true class)`` per sample.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The classifier's outputs, each with ``gt_label`` and
                ``pred_label`` (else the argmax of ``pred_score`` is taken).
        """
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
        """Macro-F1 overall and per group, in percent.

        Args:
            results (list): The ``(pred, label)`` pairs of :meth:`process`, gathered from all
                processes.

        Returns:
            dict[str, float]: ``macro_f1`` and ``<group>_f1`` of each non-empty group.

        Raises:
            ValueError: If neither ``groups`` nor the dataset's ``class_groups`` is given.
        """
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
