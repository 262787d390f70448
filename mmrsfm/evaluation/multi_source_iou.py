"""mIoU per source dataset and their mean, for models trained on several label sets at once.

Multi-head SAMRS pretraining validates on SOTA, SIOR and FAST together: each has its own classes,
so the IoU is computed per source (with mmseg's ``IoUMetric`` arithmetic) and the headline
``mIoU`` is the mean of the per-source mIoUs, as the SAMRS authors report it.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Mapping, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import DATASETS, METRICS
from prettytable import PrettyTable

ClassSpec = Union[int, str, Sequence[str]]


def resolve_class_names(spec: ClassSpec) -> Tuple[str, ...]:
    """Class names from a count, a list of names, or a registered mmseg dataset type name.

    Args:
        spec (int | str | Sequence[str]): A class count (names ``'0'``, ``'1'``, ...), the
            type name of a registered mmseg dataset with ``METAINFO['classes']``, or the names.

    Returns:
        tuple[str, ...]: The class names, in label order.

    Raises:
        KeyError: If ``spec`` is a string that names no registered dataset with classes.

    Examples:
        >>> resolve_class_names(3)
        ('0', '1', '2')
    """
    if isinstance(spec, int):
        return tuple(str(i) for i in range(spec))
    if isinstance(spec, str):
        dataset_cls = DATASETS.get(spec)
        if dataset_cls is None or 'classes' not in getattr(dataset_cls, 'METAINFO', {}):
            raise KeyError(f'{spec!r} is not a registered mmseg dataset with METAINFO classes '
                           '(import the module that registers it, e.g. mmrsfm.datasets)')
        return tuple(dataset_cls.METAINFO['classes'])
    return tuple(str(c) for c in spec)


@METRICS.register_module()
class MultiSourceIoUMetric(IoUMetric):
    """IoU metrics per source dataset plus the mean mIoU over sources.

    Each sample is scored against the classes of its source (meta key ``source_key``).
    Reported keys: ``<source>/aAcc``, ``<source>/mIoU``, ``<source>/mAcc`` (and the other
    ``iou_metrics``) for every source with validation samples, and ``mIoU``: the mean of the
    per-source mIoUs. Per-class tables are logged per source, then a summary table.

    Args:
        source_classes (Mapping[str, int | str | Sequence[str]]): Ordered mapping source name
            -> its classes: a class count, a list of class names, or the type name of a
            registered mmseg dataset whose ``METAINFO`` holds them (e.g.
            ``dict(sota='SOTADataset', sior='SIORDataset', fast='FASTDataset')``).
        source_key (str): Meta-information key naming a sample's source. Defaults to
            ``'source'``.
        **kwargs: ``ignore_index`` (default 255), ``iou_metrics``, ``nan_to_num``, ``beta``,
            ``collect_device``, ``prefix`` as for mmseg's ``IoUMetric``.

    Raises:
        ValueError: If ``source_classes`` is empty, or ``format_only`` / ``output_dir`` is
            given (the metric only evaluates).

    Examples:
        >>> from mmseg.registry import METRICS
        >>> metric = METRICS.build(dict(type='MultiSourceIoUMetric',
        ...                             source_classes=dict(sota=18, fast=['car', 'ship'])))
        >>> {name: m.dataset_meta['classes'][:2] for name, m in metric.source_metrics.items()}
        {'sota': ('0', '1'), 'fast': ('car', 'ship')}
    """

    def __init__(self,
                 source_classes: Mapping[str, ClassSpec],
                 source_key: str = 'source',
                 **kwargs) -> None:
        if kwargs.get('format_only') or kwargs.get('output_dir'):
            raise ValueError('MultiSourceIoUMetric evaluates only; format_only/output_dir are '
                             'not supported')
        super().__init__(**kwargs)
        if not source_classes:
            raise ValueError('source_classes must name at least one source')
        self.source_key = source_key
        self.source_metrics: Dict[str, IoUMetric] = OrderedDict()
        for name, spec in source_classes.items():
            metric = IoUMetric(ignore_index=self.ignore_index, iou_metrics=self.metrics,
                               nan_to_num=self.nan_to_num, beta=self.beta)
            metric.dataset_meta = dict(classes=resolve_class_names(spec))
            self.source_metrics[str(name)] = metric

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store ``(source, area_intersect, area_union, area_pred, area_label)`` per sample.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The segmentor's outputs, each with
                ``pred_sem_seg.data`` and ``gt_sem_seg.data`` (1, H, W) and the source under
                ``source_key``.

        Raises:
            KeyError: If a sample's source is not one of ``source_classes``.
        """
        for sample in data_samples:
            source = sample.get(self.source_key)
            if source not in self.source_metrics:
                raise KeyError(f'{sample.get("img_path", "a sample")}: source {source!r} is not '
                               f'one of {list(self.source_metrics)} (is {self.source_key!r} in '
                               'PackSegInputs meta_keys?)')
            num_classes = len(self.source_metrics[source].dataset_meta['classes'])
            pred = sample['pred_sem_seg']['data'].squeeze()
            label = sample['gt_sem_seg']['data'].squeeze().to(pred)
            self.results.append(
                (source, *self.intersect_and_union(pred, label, num_classes, self.ignore_index)))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Per-source metrics (mmseg ``IoUMetric.compute_metrics``) and the mean mIoU.

        Args:
            results (list[tuple]): The stored results of :meth:`process`, gathered from all
                processes.

        Returns:
            dict[str, float]: ``<source>/<metric>`` for every source with samples, and
            ``mIoU``, the mean of their mIoUs; in percent, rounded to 2 decimals.

        Raises:
            ValueError: If no source has samples.
        """
        metrics: Dict[str, float] = OrderedDict()
        summary = PrettyTable(['source', 'images', 'mIoU', 'mAcc', 'aAcc'])
        per_source_miou = []
        for name, metric in self.source_metrics.items():
            own = [r[1:] for r in results if r[0] == name]
            if not own:
                print_log(f'MultiSourceIoUMetric: no validation samples of source {name!r}',
                          logger='current', level=30)
                continue
            print_log(f'source {name!r}:', logger='current')
            values = metric.compute_metrics(own)
            metrics.update({f'{name}/{key}': round(float(value), 2)
                            for key, value in values.items()})
            per_source_miou.append(float(values['mIoU']))
            summary.add_row([name, len(own), values['mIoU'], values.get('mAcc', '-'),
                             values.get('aAcc', '-')])
        if not per_source_miou:
            raise ValueError('MultiSourceIoUMetric received no samples to evaluate')
        metrics['mIoU'] = float(np.round(np.mean(per_source_miou), 2))
        summary.add_row(['mean', sum(r[1] for r in summary.rows), metrics['mIoU'], '-', '-'])
        print_log('mIoU per source and their mean:\n' + summary.get_string(), logger='current')
        return metrics
