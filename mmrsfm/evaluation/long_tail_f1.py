"""Macro-F1 overall and per class group (head / middle / tail) for long-tailed classification."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

GROUP_NAMES = ('head', 'middle', 'tail')
GROUP_MODES = ('all_samples', 'group_samples')


@METRICS.register_module()
class LongTailF1(BaseMetric):
    """Macro-F1 over all classes and over each of the head / middle / tail groups.

    Two definitions of a group's score are offered (``group_mode``); scores are in percent.

    - ``'all_samples'`` (default; every figure our READMEs report so far): the mean, over the
      classes of the group, of each class's one-vs-rest F1 computed on all test samples, i.e.
      ``sklearn.metrics.f1_score(y, p, labels=group, average='macro')``. A tail sample
      predicted as a head class is a false positive of that head class.
    - ``'group_samples'`` (the authors' evaluation script, as described in issue 15): macro-F1
      computed on the test samples whose true class is in the group only, over the classes
      that occur there as a true or a predicted label, i.e. ``f1_score(y[m], p[m],
      average='macro')`` with ``m = isin(y, group)``. A sample of the group predicted as a
      class of another group adds that class to the mean with F1 0 (it has no true sample in
      the subset), and samples of other groups never count against the group's classes. With
      predictions biased toward the head, the two definitions differ by tens of points (see
      ``tests/test_evaluation/test_long_tail_f1.py``). A group with no test sample scores NaN.

    ``macro_f1`` is the same in both modes: the mean one-vs-rest F1 over the classes of all
    groups (over all classes when the groups are empty), on all test samples.

    Reported keys: ``macro_f1`` and ``<group>_f1`` for each non-empty group.

    Args:
        groups (dict[str, Sequence[int]], optional): ``{'head': [class indices], 'middle':
            [...], 'tail': [...]}``; a group may be left out. Defaults to None: the dataset's
            metainfo must then provide ``class_groups`` in the same form.
        group_mode (str): ``'all_samples'`` or ``'group_samples'``, the definition of a
            group's F1 (above). Defaults to ``'all_samples'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, the device results are gathered on
            across processes. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to None (``'long-tail'``).

    Raises:
        ValueError: If ``groups`` names a group other than ``head``, ``middle``, ``tail``, or
            ``group_mode`` is not one of the two modes.

    Examples:
        >>> import torch
        >>> from mmpretrain.registry import METRICS
        >>> samples = [dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([y]))
        ...            for p, y in [(0, 0), (0, 1), (1, 1)]]
        >>> metric = METRICS.build(dict(type='LongTailF1', groups=dict(head=[0], tail=[1])))
        >>> metric.process(None, samples)
        >>> {k: round(v, 2) for k, v in metric.compute_metrics(metric.results).items()}
        {'macro_f1': 66.67, 'head_f1': 66.67, 'tail_f1': 66.67}
        >>> # the authors' grouping: the tail subset holds samples 2 and 3; class 0 (predicted
        >>> # once there, never true) joins the mean with F1 0 and class 1 has F1 2/3.
        >>> metric = METRICS.build(dict(type='LongTailF1', groups=dict(head=[0], tail=[1]),
        ...                             group_mode='group_samples'))
        >>> metric.process(None, samples)
        >>> {k: round(v, 2) for k, v in metric.compute_metrics(metric.results).items()}
        {'macro_f1': 66.67, 'head_f1': 100.0, 'tail_f1': 33.33}
    """
    default_prefix = 'long-tail'

    def __init__(self,
                 groups: Optional[Dict[str, Sequence[int]]] = None,
                 group_mode: str = 'all_samples',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if groups is not None:
            unknown = set(groups) - set(GROUP_NAMES)
            if unknown:
                raise ValueError(f'unknown class groups {sorted(unknown)}; use {GROUP_NAMES}')
        if group_mode not in GROUP_MODES:
            raise ValueError(f'LongTailF1: group_mode={group_mode!r}; use one of {GROUP_MODES}')
        self.groups = groups
        self.group_mode = group_mode

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
            if not members:
                continue
            if self.group_mode == 'all_samples':
                metrics[f'{name}_f1'] = f1[members].mean()
            else:
                metrics[f'{name}_f1'] = _subset_macro_f1(preds, labels, members, num_classes)
        return {k: float(v) for k, v in metrics.items()}


def _subset_macro_f1(preds, labels, members: List[int], num_classes: int) -> float:
    """Macro-F1 (percent) on the samples whose true class is in ``members``, averaged over the
    classes present there as a true or a predicted label (scikit-learn's default label set)."""
    import torch
    from mmpretrain.evaluation import SingleLabelMetric

    keep = torch.isin(labels, torch.tensor(members, dtype=labels.dtype))
    if not bool(keep.any()):
        return float('nan')
    preds, labels = preds[keep], labels[keep]
    f1 = SingleLabelMetric.calculate(preds, labels, average=None,
                                     num_classes=num_classes)[2].numpy()
    present = torch.unique(torch.cat([preds, labels])).numpy()
    return float(f1[present].mean())
