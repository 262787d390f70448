"""Logit-adjusted cross-entropy (Menon et al., "Long-tail learning via logit adjustment",
ICLR 2021), a long-tail baseline for the debLoRA comparison rows."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from mmpretrain.models.losses import CrossEntropyLoss
from mmpretrain.registry import MODELS


@MODELS.register_module()
class LogitAdjustedLoss(CrossEntropyLoss):
    """Softmax cross-entropy on logits shifted by ``tau * log(prior)``.

    For class scores ``f(x)`` (B, C) and class priors ``pi`` (the training label frequencies
    ``n_c / N``), the loss of a sample with label ``y`` is
    ``-log softmax(f(x) + tau * log(pi))_y`` (Menon et al. 2021, the logit-adjusted loss, their
    Eq. 10). Only the loss sees the shift: the head's predictions stay ``f(x)``, which is what the
    paper evaluates. With equal counts the shift is the same for every class and the loss equals
    plain cross-entropy.

    Everything else (soft labels, ``class_weight``, ``reduction``, ``loss_weight``) is
    mmpretrain's :class:`~mmpretrain.models.losses.CrossEntropyLoss`, applied to the shifted
    logits.

    Args:
        tau (float): Scale of the log-prior shift. Defaults to 1.0 (the paper's default).
        class_counts (Sequence[int], optional): Training samples per class, in label order.
            Defaults to None: set them before training with :meth:`set_class_counts`
            (:class:`~mmrsfm.engine.ClassCountsHook` does it from the training dataset).
        **kwargs: Arguments of :class:`~mmpretrain.models.losses.CrossEntropyLoss`
            (``use_soft``, ``reduction``, ``loss_weight``, ``class_weight``); ``use_sigmoid``
            is refused (the adjustment is defined for the softmax loss).

    Raises:
        ValueError: ``use_sigmoid=True``, or invalid counts (see :meth:`set_class_counts`).

    Examples:
        >>> import torch
        >>> from mmpretrain.registry import MODELS
        >>> loss = MODELS.build(dict(type='LogitAdjustedLoss', class_counts=[90, 10]))
        >>> scores, labels = torch.zeros(1, 2), torch.tensor([1])
        >>> # softmax([log 0.9, log 0.1]) of class 1 = 0.1, so the loss is -log 0.1
        >>> round(float(loss(scores, labels)), 4)
        2.3026
    """

    def __init__(self,
                 tau: float = 1.0,
                 class_counts: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        if kwargs.get('use_sigmoid', False):
            raise ValueError('LogitAdjustedLoss: the logit adjustment is defined for the '
                             'softmax cross-entropy; use_sigmoid=True is not supported')
        super().__init__(**kwargs)
        self.tau = float(tau)
        # Not saved in checkpoints: a model built for testing needs no counts.
        self.register_buffer('log_prior', torch.empty(0), persistent=False)
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def set_class_counts(self, class_counts: Sequence[int]) -> None:
        """Set the class priors ``n_c / N`` from training counts.

        Args:
            class_counts (Sequence[int]): Training samples per class, in label order.

        Raises:
            ValueError: Fewer than two classes, a negative count, or a class with no sample
                (its log prior would be ``-inf``).
        """
        counts = [float(c) for c in class_counts]
        if len(counts) < 2:
            raise ValueError(f'LogitAdjustedLoss: need counts of at least 2 classes, got '
                             f'{list(class_counts)}')
        empty = [i for i, c in enumerate(counts) if c <= 0]
        if empty:
            raise ValueError(f'LogitAdjustedLoss: classes {empty} have no training sample '
                             f'(counts {list(class_counts)}); their log prior is undefined')
        total = sum(counts)
        log_prior = torch.tensor([math.log(c / total) for c in counts])
        self.log_prior = log_prior.to(self.log_prior.device)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """The cross-entropy of the adjusted scores.

        Args:
            cls_score (torch.Tensor): Class scores (logits), shape (B, C).
            label (torch.Tensor): Labels (B,) or soft labels (B, C).
            weight (torch.Tensor, optional): Per-sample weights (B,). Defaults to None.
            avg_factor (float, optional): Divisor of the summed loss. Defaults to None.
            reduction_override (str, optional): ``'none'``, ``'mean'`` or ``'sum'``.
                Defaults to None (the configured reduction).
            **kwargs: Passed to the cross-entropy function.

        Returns:
            torch.Tensor: The loss (a scalar unless ``reduction='none'``).

        Raises:
            RuntimeError: No class counts were set, or they do not match ``C``.
        """
        if self.log_prior.numel() == 0:
            raise RuntimeError('LogitAdjustedLoss: no class counts; pass class_counts or add '
                               "dict(type='ClassCountsHook') to custom_hooks")
        if self.log_prior.numel() != cls_score.shape[-1]:
            raise RuntimeError(f'LogitAdjustedLoss: counts of {self.log_prior.numel()} classes '
                               f'for scores of {cls_score.shape[-1]} classes')
        adjusted = cls_score + self.tau * self.log_prior.to(cls_score)
        return super().forward(adjusted, label, weight=weight, avg_factor=avg_factor,
                               reduction_override=reduction_override, **kwargs)
