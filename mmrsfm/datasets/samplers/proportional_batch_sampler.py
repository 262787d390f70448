"""Batches made of one sub-batch per source dataset, sized in proportion to the sources.

SAMRS segmentation pretraining (SEP) trains one model on several datasets at once: every batch of
``B`` samples holds ``B_i = L_i / sum(L) * B`` samples of source ``i`` (``L_i`` its size), so each
classifier head sees data at every step and large sources are not drowned out by small ones.
"""
from __future__ import annotations

import math
from typing import Iterator, List, Optional, Sequence

import numpy as np
from mmengine.dataset import InfiniteSampler
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import BatchSampler, Sampler


def proportional_batch_sizes(source_sizes: Sequence[float], batch_size: int) -> List[int]:
    """Split ``batch_size`` into per-source sub-batch sizes proportional to ``source_sizes``.

    Rounding rule (deterministic): start from ``max(1, floor(q_i))`` with the exact shares
    ``q_i = L_i / sum(L) * B``; while the sum is below ``B`` add one to the source with the
    largest ``q_i - B_i``; while it is above ``B`` (only possible after raising a share below 1
    to 1) take one from the source with the smallest ``q_i - B_i`` among those above 1. Ties go
    to the earlier source. Hence ``sum(B_i) == B`` and every ``B_i >= 1``.

    Example: SAMRS sizes (17480, 23463, 64147) and ``B = 96`` give shares (15.97, 21.43, 58.60)
    and sub-batches (16, 21, 59).

    Args:
        source_sizes (Sequence[float]): Size (or relative weight) of each source, positive.
        batch_size (int): The batch size ``B`` to split, at least the number of sources.

    Returns:
        list[int]: The sub-batch size of each source, in the order of ``source_sizes``.

    Examples:
        >>> proportional_batch_sizes((17480, 23463, 64147), 96)
        [16, 21, 59]

    Raises:
        ValueError: a size is not positive, or ``batch_size`` is smaller than the number of
            sources.
    """
    sizes = [float(s) for s in source_sizes]
    if not sizes or any(s <= 0 for s in sizes):
        raise ValueError(f'source sizes must be positive, got {list(source_sizes)}')
    if batch_size < len(sizes):
        raise ValueError(f'batch_size {batch_size} is smaller than the number of sources '
                         f'({len(sizes)}); every source needs at least one sample per batch')
    shares = [s / sum(sizes) * batch_size for s in sizes]
    counts = [max(1, math.floor(q)) for q in shares]
    while sum(counts) < batch_size:
        i = max(range(len(counts)), key=lambda j: (shares[j] - counts[j], -j))
        counts[i] += 1
    while sum(counts) > batch_size:
        candidates = [j for j in range(len(counts)) if counts[j] > 1]
        i = min(candidates, key=lambda j: (shares[j] - counts[j], j))
        counts[i] -= 1
    return counts


@DATA_SAMPLERS.register_module()
class ProportionalBatchSampler(BatchSampler):
    """Batch sampler over a ``ConcatDataset``: each batch concatenates one sub-batch per source.

    Sub-batch sizes come from :func:`proportional_batch_sizes` applied to the per-rank batch size
    (the dataloader's ``batch_size``). Each source is shuffled on its own (same seed on every
    rank) and sharded across ranks like ``DistributedSampler`` (``indices[rank::world_size]``,
    padded by wrapping), so ranks never share a sample within an epoch. An epoch ends when the
    first source runs out: ``min_i(ceil(L_i / world_size) // B_i)`` batches, all complete.

    The ``sampler`` mmengine passes in supplies the dataset, the seed and the epoch
    (``DefaultSampler``: a new shuffle per epoch, set by the training loop). With mmengine's
    ``InfiniteSampler`` the batches form an endless stream (epoch after epoch), the right choice
    for ``IterBasedTrainLoop``. In a config (SAMRS multi-source pretraining, ``sota``,
    ``sior`` and ``fast`` being dataset configs)::

        train_dataloader = dict(
            batch_size=12,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_sampler=dict(type='ProportionalBatchSampler'),
            dataset=dict(type='ConcatDataset', datasets=[sota, sior, fast],
                         ignore_keys=['classes', 'palette']))

    Args:
        sampler (Sampler): mmengine sampler built on the ``ConcatDataset`` (its order is not
            used; its ``dataset``, ``seed`` and ``epoch`` are).
        batch_size (int): Samples per batch on this rank.
        source_ratio (Sequence[float], optional): Relative source weights used instead of the
            dataset lengths (e.g. the full subset sizes the paper quotes). Defaults to None
            (the lengths).
        shuffle (bool): Shuffle each source every epoch. Defaults to True.
        num_replicas (int, optional): World size. Defaults to None (the distributed world
            size).
        rank (int, optional): This rank. Defaults to None (the distributed rank).

    Raises:
        TypeError: If the sampler's dataset is not a ``ConcatDataset``.
        ValueError: If ``source_ratio`` does not have one entry per dataset, or a source has
            fewer samples per rank than its sub-batch.

    Examples:
        >>> from mmengine.dataset import DefaultSampler
        >>> from mmengine.logging import MMLogger
        >>> from mmseg.registry import DATA_SAMPLERS
        >>> from torch.utils.data import ConcatDataset
        >>> # keep the sampler's INFO line (its sub-batches per source) out of this example
        >>> _ = MMLogger.get_instance('docs', log_level='WARNING')
        >>> dataset = ConcatDataset([range(20), range(10)])  # two sources
        >>> batches = DATA_SAMPLERS.build(dict(
        ...     type='ProportionalBatchSampler', batch_size=3, shuffle=False,
        ...     sampler=DefaultSampler(dataset, shuffle=False)))
        >>> batches.source_batch_sizes, len(batches), next(iter(batches))
        ([2, 1], 10, [0, 1, 20])
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 source_ratio: Optional[Sequence[float]] = None,
                 shuffle: bool = True,
                 num_replicas: Optional[int] = None,
                 rank: Optional[int] = None) -> None:
        super().__init__(sampler, batch_size, drop_last=True)
        dataset = getattr(sampler, 'dataset', None)
        if not hasattr(dataset, 'datasets') or not hasattr(dataset, 'cumulative_sizes'):
            raise TypeError('ProportionalBatchSampler needs a ConcatDataset of the sources, got '
                            f'{type(dataset).__name__}')
        lengths = [len(d) for d in dataset.datasets]
        if source_ratio is not None and len(source_ratio) != len(lengths):
            raise ValueError(f'source_ratio has {len(source_ratio)} entries for '
                             f'{len(lengths)} datasets')
        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.num_replicas = dist_world if num_replicas is None else num_replicas
        self.shuffle = shuffle
        self.infinite = isinstance(sampler, InfiniteSampler)
        self.seed = getattr(sampler, 'seed', None)
        if self.seed is None:
            self.seed = sync_random_seed()
        self.epoch = 0
        self.source_lengths = lengths
        self.offsets = [0] + list(dataset.cumulative_sizes[:-1])
        self.source_batch_sizes = proportional_batch_sizes(
            source_ratio if source_ratio is not None else lengths, batch_size)
        self.shard_lengths = [math.ceil(n / self.num_replicas) for n in lengths]
        self.source_names = [str(getattr(d, 'source', type(d).__name__)) for d in dataset.datasets]
        for name, shard, size in zip(self.source_names, self.shard_lengths,
                                     self.source_batch_sizes):
            if shard < size:
                raise ValueError(f'source {name!r} has {shard} samples per rank, fewer than its '
                                 f'sub-batch of {size}')
        self.num_batches = min(s // b for s, b in zip(self.shard_lengths, self.source_batch_sizes))
        parts = ', '.join(f'{n}: {L} samples -> {b}' for n, L, b in
                          zip(self.source_names, lengths, self.source_batch_sizes))
        print_log(f'ProportionalBatchSampler: batch {batch_size} per rank '
                  f'(world size {self.num_replicas}) = {parts}; {self.num_batches} batches per '
                  f'epoch{" (endless stream)" if self.infinite else ""}', logger='current')

    def _shard(self, source: int, epoch: int) -> np.ndarray:
        """Indices (into the ConcatDataset) of ``source`` that this rank uses in ``epoch``."""
        length = self.source_lengths[source]
        if self.shuffle:
            order = np.random.default_rng([self.seed, epoch, source]).permutation(length)
        else:
            order = np.arange(length)
        order = np.resize(order, self.shard_lengths[source] * self.num_replicas)
        return order[self.rank::self.num_replicas] + self.offsets[source]

    def _epoch_batches(self, epoch: int) -> Iterator[List[int]]:
        shards = [self._shard(i, epoch) for i in range(len(self.source_lengths))]
        for k in range(self.num_batches):
            batch: List[int] = []
            for shard, size in zip(shards, self.source_batch_sizes):
                batch.extend(shard[k * size:(k + 1) * size].tolist())
            yield batch

    def __iter__(self) -> Iterator[List[int]]:
        epoch = getattr(self.sampler, 'epoch', self.epoch)
        while True:
            yield from self._epoch_batches(epoch)
            if not self.infinite:
                return
            epoch += 1

    def __len__(self) -> int:
        """Batches per epoch."""
        return self.num_batches

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch`` (also forwarded to the wrapped sampler).

        Args:
            epoch (int): The epoch (0-based) whose shuffle the next iteration uses.
        """
        self.epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)
