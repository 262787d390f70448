"""mmrsfm.datasets.samplers.proportional_batch_sampler: per-source sub-batch sizes (checked by
hand), batch composition through mmengine's dataloader builder, epochs, streams and sharding."""
import itertools

import numpy as np
import pytest
from mmengine.dataset import BaseDataset, ConcatDataset, DefaultSampler, InfiniteSampler
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmrsfm.datasets.samplers import ProportionalBatchSampler, proportional_batch_sizes


class _Source(BaseDataset):
    """``n`` samples ``{'source': name, 'k': 0..n-1}``."""

    def __init__(self, name, n):
        self.source, self.n = name, n
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(source=self.source, k=k) for k in range(self.n)]


def _concat(sizes):
    return ConcatDataset([_Source(name, n) for name, n in sizes.items()])


def test_sub_batch_sizes_by_hand():
    # SAMRS subset sizes, B = 96: shares 15.967 / 21.433 / 58.599 -> floors 15/21/58 (94);
    # the two largest remainders (.967, .599) get the missing two.
    assert proportional_batch_sizes([17480, 23463, 64147], 96) == [16, 21, 59]
    # Per GPU of 8 x 12: shares 1.996 / 2.679 / 7.325 -> 1/2/7, remainders .996, .679 -> 2/3/7.
    assert proportional_batch_sizes([17480, 23463, 64147], 12) == [2, 3, 7]
    # A source with a share below one still gets one sample; the most over-served large
    # source gives it back: shares 3.92 / 0.04 / 0.04 -> 3/1/1 (5) -> 2/1/1.
    assert proportional_batch_sizes([1000, 10, 10], 4) == [2, 1, 1]
    # Ties go to the earlier source.
    assert proportional_batch_sizes([1, 1], 3) == [2, 1]
    assert proportional_batch_sizes([5, 8, 20], 6) == [1, 1, 4]
    with pytest.raises(ValueError, match='smaller than the number of sources'):
        proportional_batch_sizes([1, 2, 3], 2)
    with pytest.raises(ValueError, match='positive'):
        proportional_batch_sizes([4, 0], 4)


def test_sub_batch_sizes_sum_and_stay_within_one_of_the_share():
    rng = np.random.default_rng(0)
    for _ in range(500):
        sizes = rng.integers(1, 10_000, size=rng.integers(1, 6))
        batch = int(rng.integers(len(sizes), 200))
        counts = proportional_batch_sizes(sizes, batch)
        shares = sizes / sizes.sum() * batch
        assert sum(counts) == batch and min(counts) >= 1
        if shares.min() >= 1:  # largest-remainder rounding: each within one of its share
            assert np.all(np.abs(np.array(counts) - shares) < 1)


def test_batches_through_the_dataloader_come_from_the_right_sources():
    init_default_scope('mmseg')
    loader = Runner.build_dataloader(
        dict(batch_size=6, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
             batch_sampler=dict(type='ProportionalBatchSampler'),
             dataset=_concat({'sota': 5, 'sior': 8, 'fast': 20})), seed=1)
    assert isinstance(loader.batch_sampler, ProportionalBatchSampler)
    assert loader.batch_sampler.source_batch_sizes == [1, 1, 4]
    batches = list(loader)
    assert len(batches) == len(loader) == 5  # min(5 // 1, 8 // 1, 20 // 4)
    seen = {'sota': [], 'sior': [], 'fast': []}
    for batch in batches:  # pseudo_collate: dict of lists
        assert batch['source'] == ['sota', 'sior'] + ['fast'] * 4
        for source, k in zip(batch['source'], batch['k']):
            seen[source].append(k)
    # Within an epoch no sample repeats; FAST (20 = 5 batches x 4) is used completely.
    assert all(len(v) == len(set(v)) for v in seen.values())
    assert sorted(seen['fast']) == list(range(20))
    # The training loop's set_epoch reshuffles; the same epoch gives the same order.
    first = [b['k'] for b in batches]
    loader.batch_sampler.sampler.set_epoch(1)
    assert [b['k'] for b in loader] != first
    loader.batch_sampler.sampler.set_epoch(0)
    assert [b['k'] for b in loader] == first


def test_ranks_get_disjoint_shards_of_every_source():
    dataset = _concat({'sota': 6, 'sior': 8, 'fast': 20})
    per_rank = []
    for rank in range(2):
        sampler = ProportionalBatchSampler(DefaultSampler(dataset, shuffle=True, seed=5),
                                           batch_size=6, num_replicas=2, rank=rank)
        # Shares 1.06 / 1.41 / 3.53 -> 1/1/3 (5), largest remainder (.53) -> 1/1/4.
        assert sampler.source_batch_sizes == [1, 1, 4]
        assert len(sampler) == 2  # shards of 3 / 4 / 10: min(3 // 1, 4 // 1, 10 // 4)
        per_rank.append(list(sampler))
    offsets = {'sota': range(0, 6), 'sior': range(6, 14), 'fast': range(14, 34)}
    for batches in per_rank:
        for batch in batches:
            assert len(batch) == 6 and batch[0] in offsets['sota']
            assert batch[1] in offsets['sior']
            assert all(i in offsets['fast'] for i in batch[2:])
    used = [set(itertools.chain.from_iterable(b)) for b in per_rank]
    assert not used[0] & used[1]


def test_infinite_sampler_gives_an_endless_reshuffled_stream():
    dataset = _concat({'a': 4, 'b': 12})
    sampler = ProportionalBatchSampler(InfiniteSampler(dataset, seed=0), batch_size=4)
    assert sampler.source_batch_sizes == [1, 3] and len(sampler) == 4
    stream = list(itertools.islice(iter(sampler), 12))  # three epochs
    assert all(b[0] < 4 and all(4 <= i < 16 for i in b[1:]) for b in stream)
    epochs = [sorted(i for b in stream[k:k + 4] for i in b[1:]) for k in (0, 4, 8)]
    assert all(e == list(range(4, 16)) for e in epochs)
    assert [b[1:] for b in stream[:4]] != [b[1:] for b in stream[4:8]]


def test_rejects_a_dataset_that_is_not_a_concatenation():
    with pytest.raises(TypeError, match='ConcatDataset'):
        ProportionalBatchSampler(DefaultSampler(_Source('a', 4), seed=0), batch_size=2)
    with pytest.raises(ValueError, match="'a' has 3 samples per rank, fewer than its sub-batch"):
        ProportionalBatchSampler(DefaultSampler(_concat({'a': 3, 'b': 3}), seed=0),
                                 batch_size=8)
