"""Hand the training set's class counts to the model parts that need them (long-tail losses)."""
from __future__ import annotations

from typing import List

import numpy as np
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Before training, count the training labels and pass them to every model part that takes
    them (a module with a ``set_class_counts(counts)`` method, e.g.
    :class:`~mmrsfm.models.losses.LogitAdjustedLoss`).

    The counts are those of ``runner.train_dataloader.dataset`` (its ``get_gt_labels()``; one
    count per class of its ``metainfo['classes']``), so the prior always matches the data the
    run trains on, whatever ``data_root`` or subset a command line sets. The sampler does not
    change them: they are dataset counts, not sampled frequencies.

    Raises:
        RuntimeError: At the start of training, if no model part takes class counts, or if the
            training dataset has no ``get_gt_labels()``.

    Examples:
        >>> from mmpretrain.registry import HOOKS
        >>> hook = HOOKS.build(dict(type='ClassCountsHook'))
        >>> # in a config whose head uses LogitAdjustedLoss without class_counts:
        >>> custom_hooks = [dict(type='ClassCountsHook')]
    """
    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        """Count the training labels and set them on the model.

        Args:
            runner (Runner): The training runner.
        """
        dataset = runner.train_dataloader.dataset
        if not hasattr(dataset, 'get_gt_labels'):
            raise RuntimeError(f'ClassCountsHook: the training dataset '
                               f'({type(dataset).__name__}) has no get_gt_labels()')
        labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64)
        num_classes = len(dataset.metainfo.get('classes') or ()) or int(labels.max()) + 1
        counts = np.bincount(labels, minlength=num_classes).tolist()
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        targets: List = [m for m in model.modules() if callable(getattr(m, 'set_class_counts',
                                                                        None))]
        if not targets:
            raise RuntimeError('ClassCountsHook: no part of the model takes class counts '
                               '(no module with set_class_counts)')
        for module in targets:
            module.set_class_counts(counts)
        runner.logger.info(f'ClassCountsHook: training class counts {counts} set on '
                           + ', '.join(sorted({type(m).__name__ for m in targets})))
