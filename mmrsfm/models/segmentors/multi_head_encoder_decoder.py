"""Encoder-decoder segmentor with one classifier per source dataset (SAMRS multi-head SEP).

One backbone, neck and decode body are shared by all sources; the decode head
(:class:`~mmrsfm.models.decode_heads.MultiSourceUPerHead`) holds one 1x1 classifier per source.
Every sample goes to the classifier of the dataset it came from (its ``source`` meta key), and
the training loss is the sum of the per-source cross-entropies.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

from ..decode_heads.multi_source_uper_head import group_by_source


@MODELS.register_module()
class MultiHeadEncoderDecoder(EncoderDecoder):
    """mmseg ``EncoderDecoder`` that routes each sample to the classifier of its source.

    ``predict`` needs ``data_samples`` whose meta information names the source; a batch mixing
    sources is split, each part inferred (``whole`` or ``slide``) with its own classifier.

    Args:
        decode_head (dict): A multi-source head, e.g. ``dict(type='MultiSourceUPerHead',
            source_classes=dict(sota=18, sior=20, fast=37), ...)``.
        auxiliary_head (dict, optional): Not supported (must be None): the SEP recipe has no
            auxiliary head. Defaults to None.
        **kwargs: ``backbone``, ``neck``, ``data_preprocessor``, ``train_cfg``, ``test_cfg``...
            as for ``EncoderDecoder``.

    Raises:
        ValueError: If ``auxiliary_head`` is given.
        TypeError: If the decode head has no per-source classifiers (``source_classes``).

    Examples:
        >>> import torch
        >>> from mmengine.config import ConfigDict
        >>> from mmseg.registry import MODELS
        >>> from mmseg.structures import SegDataSample
        >>> model = MODELS.build(ConfigDict(
        ...     type='MultiHeadEncoderDecoder',
        ...     backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8),
        ...     decode_head=dict(
        ...         type='MultiSourceUPerHead', source_classes=dict(sota=18, sior=20),
        ...         in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3], channels=16,
        ...         pool_scales=(1, 2)),
        ...     test_cfg=dict(mode='whole'))).eval()
        >>> samples = [SegDataSample(metainfo=dict(source=s, img_shape=(64, 64),
        ...                                        ori_shape=(64, 64))) for s in ('sior', 'sota')]
        >>> results = model.predict(torch.rand(2, 3, 64, 64), samples)
        >>> [tuple(r.seg_logits.data.shape) for r in results]
        [(20, 64, 64), (18, 64, 64)]
    """

    def __init__(self, decode_head: dict, auxiliary_head: Optional[dict] = None,
                 **kwargs) -> None:
        if auxiliary_head is not None:
            raise ValueError('MultiHeadEncoderDecoder has no auxiliary head; set '
                             'auxiliary_head=None (per-source auxiliary heads are not provided)')
        super().__init__(decode_head=decode_head, auxiliary_head=None, **kwargs)
        if not hasattr(self.decode_head, 'source_classes'):
            raise TypeError(f'decode_head {type(self.decode_head).__name__} has no per-source '
                            'classifiers; use e.g. MultiSourceUPerHead')
        self.source_key = self.decode_head.source_key

    @property
    def source_classes(self) -> Dict[str, int]:
        """Source name -> number of classes."""
        return dict(self.decode_head.source_classes)

    def predict(self, inputs: Tensor, data_samples: Optional[list] = None) -> list:
        """Predict each sample with the classifier of its source.

        Args:
            inputs (Tensor): Preprocessed images (N, C, H, W).
            data_samples (list[SegDataSample], optional): One per image, whose ``metainfo``
                holds the source (and ``img_shape``, ``ori_shape``...). Required despite the
                default. Defaults to None.

        Returns:
            list[SegDataSample]: The data samples, in input order, with ``pred_sem_seg``
            (class indices of their own source) and ``seg_logits`` (n_source, H, W).

        Raises:
            ValueError: If ``data_samples`` is None.
        """
        if data_samples is None:
            raise ValueError('MultiHeadEncoderDecoder.predict needs data_samples naming each '
                             f'sample\'s {self.source_key!r}')
        metas = [s.metainfo for s in data_samples]
        results: List = [None] * len(data_samples)
        for source, idx in group_by_source(metas, self.source_key).items():
            # slide_inference sizes its output buffer with self.out_channels.
            self.out_channels = self.decode_head.num_classes_of(source)
            logits = self.inference(inputs[idx], [metas[i] for i in idx])
            for i, sample in zip(idx, self.postprocess_result(
                    logits, [data_samples[i] for i in idx])):
                results[i] = sample
        return results

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None
                 ) -> Dict[str, Tensor]:
        """Logits of every classifier for every sample: source -> (N, n_source, h, w)."""
        return self.decode_head.forward(self.extract_feat(inputs))
