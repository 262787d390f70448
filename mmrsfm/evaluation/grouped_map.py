"""mAP per class group (e.g. head / middle / tail) of a detection metric, for mmdet and mmrotate
validation and testing loops."""
from __future__ import annotations

import copy
from collections import OrderedDict
from numbers import Integral
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.registry import METRICS as MMENGINE_METRICS

from mmrsfm.registry import register_in_toolboxes

GroupSpec = Dict[str, Sequence[Union[str, int]]]


def _check_groups(groups: GroupSpec) -> Dict[str, list]:
    """Check the form of ``groups``; class names and indices are checked by :func:`_resolve`."""
    if not isinstance(groups, dict) or not groups:
        raise ValueError('GroupedMAPMetric: groups must be a non-empty dict {group name: [class '
                         f'names or indices]}}, got {groups!r}')
    checked = {}
    for name, members in groups.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f'GroupedMAPMetric: group names must be non-empty strings, got '
                             f'{name!r}')
        if isinstance(members, (str, bytes, Integral)) or not isinstance(members, Sequence):
            raise ValueError(f'GroupedMAPMetric: group {name!r} must be a list of class names '
                             f'or indices, got {members!r}')
        if not members:
            raise ValueError(f'GroupedMAPMetric: group {name!r} is empty')
        for member in members:
            if isinstance(member, bool) or not isinstance(member, (str, Integral)):
                raise ValueError(f'GroupedMAPMetric: group {name!r} holds {member!r}; use '
                                 'class names (str) or class indices (int)')
        checked[name] = list(members)
    return checked


def _resolve(groups: Dict[str, list], classes: Sequence[str]) -> Dict[str, List[int]]:
    """Class indices of each group, checked against the dataset's ``classes``."""
    index = {name: i for i, name in enumerate(classes)}
    owner: Dict[int, str] = {}
    resolved = {}
    for name, members in groups.items():
        indices = []
        for member in members:
            if isinstance(member, str):
                if member not in index:
                    raise ValueError(f'GroupedMAPMetric: group {name!r} names unknown class '
                                     f"{member!r}; the dataset's classes are {list(classes)}")
                i = index[member]
            else:
                i = int(member)
                if not 0 <= i < len(classes):
                    raise ValueError(f'GroupedMAPMetric: group {name!r} holds class index {i}, '
                                     f'outside 0..{len(classes) - 1} ({len(classes)} classes)')
            if i in owner:
                where = (f'twice in group {name!r}' if owner[i] == name else
                         f'in groups {owner[i]!r} and {name!r}')
                raise ValueError(f'GroupedMAPMetric: class {classes[i]!r} (index {i}) is {where}')
            owner[i] = name
            indices.append(i)
        resolved[name] = indices
    return resolved


def _upstream_kind(metric: BaseMetric) -> Optional[str]:
    """``'dota'`` for mmrotate's DOTAMetric, ``'voc'`` for mmdet's VOCMetric, else None."""
    from mmdet.evaluation import VOCMetric
    from mmrotate.evaluation import DOTAMetric
    if isinstance(metric, DOTAMetric):
        if metric.merge_patches or metric.format_only:
            raise ValueError('GroupedMAPMetric: DOTAMetric with merge_patches or format_only '
                             'computes no AP to group')
        return 'dota'
    if isinstance(metric, VOCMetric):
        if metric.metric != 'mAP':
            raise ValueError(f"GroupedMAPMetric: VOCMetric(metric={metric.metric!r}) computes no "
                             "AP to group; use metric='mAP'")
        return 'voc'
    return None


@register_in_toolboxes('METRICS', ('mmdet', 'mmrotate'))
class GroupedMAPMetric(BaseMetric):
    """A detection metric plus the mAP of each class group (e.g. head / middle / tail).

    Wraps a metric that computes per-class APs and reports its usual keys, ``AP_<class>`` and
    ``<group>_mAP``: the mean AP of the group's classes that have ground truth in the evaluated
    set (as the upstream ``mAP`` leaves out classes without ground truth; a group with none
    scores NaN). Values are in [0, 1], like the wrapped metric's. Classes in no group count in
    ``mAP`` only.

    The per-class APs are those the upstream evaluation functions return:

    - mmrotate's ``DOTAMetric`` (DOTA, DIOR-R patches): ``eval_rbbox_map`` with the metric's
      ``iou_thrs``, ``eval_mode`` and ``predict_box_type``;
    - mmdet's ``VOCMetric`` (DIOR): ``eval_map`` with its ``iou_thrs`` and ``eval_mode``;

    each called once per IoU threshold with the arguments the wrapped metric's
    ``compute_metrics`` passes, so ``mAP`` and ``AP<thr>`` equal its own; a class's AP is the
    mean over the thresholds. Any other metric (e.g. :class:`DOTAMergedMetric`) is run as it is
    and must report ``AP_<class>`` keys. ``scale_ranges`` are not supported.

    The groups are checked against the dataset's ``classes`` when the evaluator receives the
    dataset's metainfo (before training starts).

    Args:
        metric (dict | BaseMetric): The wrapped metric, its config (built in the config's
            default scope; ``_scope_`` or a ``mmrotate.`` prefix also work) or an instance.
        groups (dict[str, Sequence[str | int]]): ``{group name: [class names or indices into
            the dataset's classes]}``, in report order, e.g. ``dict(head=['ship',
            'large-vehicle'], middle=[...], tail=[...])``. A class may be in one group only.
        collect_device (str): ``'cpu'`` or ``'gpu'``, the device results are gathered on
            across processes. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to None (the wrapped metric's,
            e.g. ``'dota'`` or ``'pascal_voc'``, so its keys stay the same).

    Raises:
        ValueError: If a group is empty, not a list of names / indices, or (when the dataset's
            classes are known) names an unknown class, an index out of range, or a class that
            is in another group; or if the wrapped metric computes no AP.

    Examples:
        >>> from mmrotate.registry import METRICS
        >>> metric = METRICS.build(dict(
        ...     type='GroupedMAPMetric', metric=dict(type='mmrotate.DOTAMetric'),
        ...     groups=dict(head=['plane', 'ship'], tail=[2])))
        >>> metric.prefix
        'dota'
        >>> metric.dataset_meta = dict(classes=('plane', 'ship', 'harbor'))
        >>> metric.class_groups
        {'head': [0, 1], 'tail': [2]}
        >>> # in a config, around the evaluator of the base config:
        >>> val_evaluator = dict(type='GroupedMAPMetric', metric=dict(type='DOTAMetric'),
        ...                      groups=dict(head=['plane'], tail=['helicopter']))
    """

    def __init__(self,
                 metric: Union[dict, BaseMetric],
                 groups: GroupSpec,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        groups = _check_groups(groups)
        if not isinstance(metric, BaseMetric):
            metric = MMENGINE_METRICS.build(copy.deepcopy(metric))
        super().__init__(collect_device=collect_device, prefix=prefix or metric.prefix)
        self.groups = groups
        self.metric = metric
        if getattr(metric, 'scale_ranges', None) is not None:
            raise ValueError('GroupedMAPMetric: the wrapped metric has scale_ranges; per-scale '
                             'group mAP is not supported')
        self.kind = _upstream_kind(metric)
        self.class_groups: Optional[Dict[str, List[int]]] = None

    @property
    def dataset_meta(self) -> Optional[dict]:
        """dict, optional: The dataset's metainfo, shared with the wrapped metric; setting it
        checks the groups against its ``classes``."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = copy.deepcopy(dataset_meta)
        self.metric.dataset_meta = dataset_meta
        if dataset_meta is not None and 'classes' in dataset_meta:
            self.class_groups = _resolve(self.groups, list(dataset_meta['classes']))

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Let the wrapped metric store its results, and take them over.

        Args:
            data_batch (dict): The batch from the dataloader.
            data_samples (Sequence[dict]): The detector's outputs with their ground truth, as
                the wrapped metric reads them.
        """
        self.metric.process(data_batch, data_samples)
        self.results.extend(self.metric.results)
        self.metric.results.clear()

    def _upstream_scores(self, results: list, classes: List[str], logger: MMLogger):
        """The wrapped upstream metric's keys and the per-class APs of classes with ground
        truth, from the upstream evaluation function."""
        metric = self.metric
        gts, preds = zip(*results)
        if self.kind == 'dota':
            from mmrotate.evaluation import eval_rbbox_map
            dets = [pred['pred_bbox_scores'] for pred in preds]
            if metric.outfile_prefix is not None:
                metric.results2json(preds, metric.outfile_prefix)  # as DOTAMetric does

            def evaluate(iou_thr):
                return eval_rbbox_map(dets, gts, iou_thr=iou_thr,
                                      use_07_metric=metric.use_07_metric,
                                      box_type=metric.predict_box_type, dataset=classes,
                                      logger=logger)
        else:
            from mmdet.evaluation import eval_map

            def evaluate(iou_thr):
                return eval_map(list(preds), list(gts), iou_thr=iou_thr, dataset=classes,
                                logger=logger, eval_mode=metric.eval_mode,
                                use_legacy_coordinate=True)  # as VOCMetric does
        out = OrderedDict()
        mean_aps, class_aps = [], []
        for iou_thr in metric.iou_thrs:
            logger.info(f'\n{"-" * 15}iou_thr: {iou_thr}{"-" * 15}')
            mean_ap, per_class = evaluate(iou_thr)
            mean_aps.append(mean_ap)
            class_aps.append([float(r['ap']) for r in per_class])
            out[f'AP{int(iou_thr * 100):02d}'] = round(mean_ap, 3)
        out['mAP'] = sum(mean_aps) / len(mean_aps)
        out.move_to_end('mAP', last=False)
        ap = np.mean(class_aps, axis=0)
        return out, {c: float(ap[i]) for i, c in enumerate(classes)
                     if per_class[i]['num_gts'] > 0}

    def compute_metrics(self, results: list) -> dict:
        """The wrapped metric's keys, ``AP_<class>`` and ``<group>_mAP``.

        Args:
            results (list): The stored results of :meth:`process`, gathered from all
                processes.

        Returns:
            dict: The wrapped metric's keys, ``AP_<class>`` for each class with ground truth
            and ``<group>_mAP`` for each group, in [0, 1].

        Raises:
            ValueError: If the wrapped metric reports no ``AP_<class>`` key.
        """
        logger = MMLogger.get_current_instance()
        classes = list(self.dataset_meta['classes'])
        if self.class_groups is None:
            self.class_groups = _resolve(self.groups, classes)
        if self.kind is not None:
            out, class_ap = self._upstream_scores(results, classes, logger)
        else:
            out = OrderedDict(self.metric.compute_metrics(results))
            class_ap = {c: float(out[f'AP_{c}']) for c in classes if f'AP_{c}' in out}
            if not class_ap:
                raise ValueError(f'GroupedMAPMetric: {type(self.metric).__name__} reported no '
                                 f'AP_<class> key (got {sorted(out)}); wrap DOTAMetric, '
                                 'VOCMetric or a metric that reports per-class APs')
        for cls, ap in class_ap.items():
            out.setdefault(f'AP_{cls}', ap)
        lines = []
        for name, members in self.class_groups.items():
            aps = [class_ap[classes[i]] for i in members if classes[i] in class_ap]
            out[f'{name}_mAP'] = float(np.mean(aps)) if aps else float('nan')
            lines.append(f'{name}: mAP {out[f"{name}_mAP"]:.4f} over {len(aps)} of '
                         f'{len(members)} classes with ground truth')
        logger.info('group mAP\n' + '\n'.join(lines))
        return dict(out)
