"""UperNet decode head with one 1x1 classifier per source dataset (multi-head SEP, SAMRS).

The UperNet body (PPM, lateral and FPN convolutions, bottleneck) is shared; only the final 1x1
convolution differs per source, with that source's number of classes. Parameter names of the body
are those of mmseg's ``UPerHead``, so a plain UperNet loads them; the classifiers live under
``conv_seg.<source>``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Mapping, Sequence, Tuple

from mmseg.models.decode_heads import UPerHead
from mmseg.registry import MODELS
from mmseg.utils import add_prefix
from torch import Tensor, nn


def group_by_source(batch_img_metas: Sequence[Mapping], source_key: str = 'source'
                    ) -> Dict[str, List[int]]:
    """Sample indices per source name, in order of first appearance.

    Args:
        batch_img_metas (Sequence[Mapping]): Meta information of each sample of the batch.
        source_key (str): The meta key naming a sample's source. Defaults to ``'source'``.

    Returns:
        dict[str, list[int]]: Source name (as ``str``) -> indices of its samples in the batch.

    Examples:
        >>> group_by_source([dict(source='sota'), dict(source='fast'), dict(source='sota')])
        OrderedDict([('sota', [0, 2]), ('fast', [1])])

    Raises:
        KeyError: a sample has no ``source_key`` in its meta information.
    """
    groups: Dict[str, List[int]] = OrderedDict()
    for i, meta in enumerate(batch_img_metas):
        if source_key not in meta:
            raise KeyError(f'sample {i} ({meta.get("img_path", "no img_path")}) has no '
                           f'{source_key!r} in its meta information; multi-source models need '
                           f"it: add {source_key!r} to PackSegInputs(meta_keys=...)")
        groups.setdefault(str(meta[source_key]), []).append(i)
    return groups


@MODELS.register_module()
class MultiSourceUPerHead(UPerHead):
    """``UPerHead`` whose classifier is chosen per sample by the sample's source dataset.

    Training (:meth:`loss`) runs the body once on the whole batch, applies each source's
    classifier to its own samples and returns ``<source>.loss_ce`` / ``<source>.acc_seg``; the
    total loss is the sum of the per-source losses.

    Args:
        source_classes (Mapping[str, int]): Ordered mapping source name -> number of classes,
            e.g. ``dict(sota=18, sior=20, fast=37)``.
        source_key (str): Meta-information key that names a sample's source. Defaults to
            ``'source'``.
        **kwargs: ``UPerHead`` arguments (``in_channels``, ``channels``, ``loss_decode``...).
            ``num_classes`` is set to the largest class count (only its ``conv_seg`` layout
            changes: one ``Conv2d(channels, n_i, 1)`` per source).

    Raises:
        ValueError: If ``source_classes`` is empty.

    Examples:
        >>> import torch
        >>> from mmseg.registry import MODELS
        >>> head = MODELS.build(dict(
        ...     type='MultiSourceUPerHead', source_classes=dict(sota=18, sior=20),
        ...     in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3], channels=16,
        ...     pool_scales=(1, 2)))
        >>> feats = tuple(torch.rand(2, 8 * 2**i, 32 // 2**i, 32 // 2**i) for i in range(4))
        >>> {source: tuple(logits.shape) for source, logits in head(feats).items()}
        {'sota': (2, 18, 32, 32), 'sior': (2, 20, 32, 32)}
    """

    def __init__(self,
                 source_classes: Mapping[str, int],
                 source_key: str = 'source',
                 **kwargs) -> None:
        if not source_classes:
            raise ValueError('source_classes must name at least one source')
        self.source_classes = OrderedDict((str(k), int(v)) for k, v in source_classes.items())
        self.source_key = source_key
        kwargs['num_classes'] = max(self.source_classes.values())
        super().__init__(**kwargs)
        self.conv_seg = nn.ModuleDict({
            name: nn.Conv2d(self.channels, n, kernel_size=1)
            for name, n in self.source_classes.items()
        })

    def cls_seg(self, feat: Tensor, source: str) -> Tensor:
        """Logits (N, n_source, h, w) of ``source`` from body features (N, channels, h, w).

        Args:
            feat (Tensor): Output of the shared UperNet body (N, channels, h, w).
            source (str): The source whose classifier is applied.

        Returns:
            Tensor: Logits (N, n_source, h, w), after dropout (if any) and the source's 1x1
            convolution.

        Raises:
            KeyError: If the head has no classifier for ``source``.
        """
        if source not in self.conv_seg:
            raise KeyError(f'unknown source {source!r}; this head has classifiers for '
                           f'{list(self.source_classes)}')
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.conv_seg[source](feat)

    def forward(self, inputs: Tuple[Tensor]) -> Dict[str, Tensor]:
        """Logits of every source's classifier for every sample: source -> (N, n_source, h, w).

        Args:
            inputs (tuple[Tensor]): Multi-level features of the backbone / neck, selected by
                ``in_index``.

        Returns:
            dict[str, Tensor]: Source -> logits (N, n_source, h, w) at the resolution of the
            first input level, in the order of ``source_classes``.
        """
        feat = self._forward_feature(inputs)
        return {name: self.cls_seg(feat, name) for name in self.source_classes}

    def loss(self, inputs: Tuple[Tensor], batch_data_samples: list, train_cfg) -> dict:
        """Per-source losses, each on the samples of that source only.

        Args:
            inputs (tuple[Tensor]): Multi-level features of the backbone / neck.
            batch_data_samples (list[SegDataSample]): The samples, with ``gt_sem_seg`` and
                the source in their meta information.
            train_cfg (ConfigDict): The segmentor's training config (unused, as in mmseg).

        Returns:
            dict: ``<source>.<loss name>`` (e.g. ``sota.loss_ce``) and ``<source>.acc_seg``
            for each source present in the batch. Classifiers of absent sources join the
            first loss with weight 0, so that DDP sees a gradient for every parameter.

        Raises:
            KeyError: If a sample has no source, or one the head does not know.
        """
        feat = self._forward_feature(inputs)
        groups = group_by_source([s.metainfo for s in batch_data_samples], self.source_key)
        losses: dict = {}
        for name, idx in groups.items():
            logits = self.cls_seg(feat[idx], name)
            part = self.loss_by_feat(logits, [batch_data_samples[i] for i in idx])
            losses.update(add_prefix(part, name))
        unused = [p for name, head in self.conv_seg.items() if name not in groups
                  for p in head.parameters()]
        if unused:
            # A zero-weighted term keeps classifiers of absent sources in the graph, so DDP
            # does not fail on parameters without gradient.
            first = f'{next(iter(groups))}.{self._loss_names()[0]}'
            losses[first] = losses[first] + 0. * sum(p.sum() for p in unused)
        return losses

    def _loss_names(self) -> List[str]:
        decode = self.loss_decode if isinstance(self.loss_decode, nn.ModuleList) \
            else [self.loss_decode]
        return [loss.loss_name for loss in decode]

    def predict(self, inputs: Tuple[Tensor], batch_img_metas: List[dict], test_cfg) -> Tensor:
        """Logits (N, n_source, H, W) for a batch whose samples all come from one source.

        Args:
            inputs (tuple[Tensor]): Multi-level features of the backbone / neck.
            batch_img_metas (list[dict]): Meta information of the samples, with the source
                and ``img_shape`` (the logits are resized to it).
            test_cfg (ConfigDict): The segmentor's test config (unused, as in mmseg).

        Returns:
            Tensor: Logits (N, n_source, H, W) of the batch's source, at the input image size.

        Raises:
            ValueError: If the samples come from more than one source.
        """
        groups = group_by_source(batch_img_metas, self.source_key)
        if len(groups) != 1:
            raise ValueError(f'predict() needs samples of one source per call, got '
                             f'{ {k: len(v) for k, v in groups.items()} }; '
                             'MultiHeadEncoderDecoder splits batches by source')
        logits = self.cls_seg(self._forward_feature(inputs), next(iter(groups)))
        return self.predict_by_feat(logits, batch_img_metas)

    def num_classes_of(self, source: str) -> int:
        """Number of classes of ``source``.

        Args:
            source (str): A source name of ``source_classes``.

        Returns:
            int: Its number of classes.

        Raises:
            KeyError: If ``source`` is unknown.
        """
        if source not in self.source_classes:
            raise KeyError(f'unknown source {source!r}; known: {list(self.source_classes)}')
        return self.source_classes[source]
