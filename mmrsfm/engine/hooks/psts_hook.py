"""Advance SelectiveMAE's Progressive Semantic Token Selection stage every epoch."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmrsfm.models.selfsup.token_selection import HOGTokenSelector


@HOOKS.register_module()
class PSTSStageHook(Hook):
    """Sets the progress of every :class:`HOGTokenSelector` in the model during training.

    Epoch-based loops: ``set_epoch(epoch, max_epochs)`` before each epoch. Iteration-based loops:
    ``set_epoch(iter, max_iters)`` before each iteration, so the PSTS boundaries must then be
    fractions of the schedule. Runs in every process (no rank check), so all ranks select with
    the same stage; logs the stage order and its ramps at the start of training, then each
    stage change.

    Raises:
        RuntimeError: At the first epoch or iteration, if the model has no
            :class:`HOGTokenSelector`.

    Examples:
        >>> from mmpretrain.registry import HOOKS
        >>> hook = HOOKS.build(dict(type='PSTSStageHook'))
        >>> # in a SelectiveMAE config:
        >>> custom_hooks = [dict(type='PSTSStageHook')]
    """
    priority = 'NORMAL'

    def __init__(self) -> None:
        self._last_stage = None

    def _selectors(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        selectors = [m for m in model.modules() if isinstance(m, HOGTokenSelector)]
        if not selectors:
            raise RuntimeError('PSTSStageHook: the model has no HOGTokenSelector')
        return selectors

    def _update(self, runner, epoch: int, max_epochs: int) -> None:
        for selector in self._selectors(runner):
            selector.set_epoch(epoch, max_epochs)
        stage = self._selectors(runner)[0].stage()
        if stage[:2] != (self._last_stage or (None, None))[:2]:
            runner.logger.info(f'PSTS stage at {epoch}/{max_epochs}: {stage[0]}'
                               + (f' -> {stage[1]} ({stage[2]:.2f} {stage[0]})'
                                  if stage[0] != stage[1] else ''))
        self._last_stage = stage

    def before_train(self, runner) -> None:
        """Log the PSTS stage order and where its ramps fall in this schedule.

        Args:
            runner (Runner): The training runner.
        """
        from mmengine.runner import EpochBasedTrainLoop
        selector = self._selectors(runner)[0]
        if selector.psts is None:
            runner.logger.info('PSTS off: visible tokens chosen by sampling='
                               f'{selector.sampling!r}')
            return
        by_epoch = isinstance(runner.train_loop, EpochBasedTrainLoop)
        length = runner.max_epochs if by_epoch else runner.max_iters
        bounds = selector.psts['boundaries']
        if bounds and bounds[-1] <= 1.0:
            bounds = tuple(b * max(length, 1) for b in bounds)
        ramps = ', '.join(f'{a:g}-{b:g}' for a, b in zip(bounds[::2], bounds[1::2]))
        runner.logger.info(f"PSTS stage order {' -> '.join(selector.psts['stage_order'])}"
                           + (f" (ramps at {'epochs' if by_epoch else 'iterations'} {ramps} "
                              f'of {length})' if ramps else ''))

    def before_train_epoch(self, runner) -> None:
        """Set ``(runner.epoch, runner.max_epochs)`` on the selectors of an epoch-based loop.

        Args:
            runner (Runner): The training runner.
        """
        from mmengine.runner import EpochBasedTrainLoop
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            self._update(runner, runner.epoch, runner.max_epochs)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Set ``(runner.iter, runner.max_iters)`` on the selectors of an iteration-based loop.

        Args:
            runner (Runner): The training runner.
            batch_idx (int): Index of the batch in the epoch (unused).
            data_batch (dict, optional): The batch (unused). Defaults to None.
        """
        from mmengine.runner import EpochBasedTrainLoop
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            self._update(runner, runner.iter, runner.max_iters)
