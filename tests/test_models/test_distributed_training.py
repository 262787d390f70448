"""Distributed data-parallel training on CPU: 2 gloo processes (mmengine's
``MMDistributedDataParallel``, wrapped as the Runner wraps it) against one process at the same
global batch, two optimizer steps of each model family's real config shrunk to tiny.

What must match and why:

* SelectiveMAE and debLoRA stage 3: every loss is a mean over samples (tokens), the ranks get
  equal halves, the models have no batch statistics: the 2-process step equals one step on
  the whole global batch (``mode='global'``), within fp32 reduction-order noise.
* SEP multi-head and Oriented R-CNN: BatchNorm (SyncBN cannot run on CPU), per-subset
  cross-entropies averaged within a rank's batch, and detection losses normalised by the
  anchors / proposals sampled per batch make a rank's loss depend on its own half. DDP then
  computes the mean of the ranks' losses; the reference forwards each half on its own, under
  the rank's random seed, and steps with the mean (``mode='per_rank'``).

Every case also checks that the ranks end with identical parameters, and a hang (e.g. a rank
waiting for gradients another rank never produces) fails by timeout. Each test takes ~10-40 s
on 2 CPU cores (two spawned processes import the toolboxes).
"""
import pytest
import torch

from mmrsfm.testing.distributed import (DistributedWorkers, max_relative_difference, mean_log_vars,
                                        run_reference_steps)
from mmrsfm.testing.train_cases import (build_train_dataset, import_scope, make_batch, make_case,
                                        split_batch)

pytestmark = pytest.mark.slow  # two gloo processes per test

#: Tolerances of fp32 results that differ only in summation order.
LOSS_RTOL = 1e-5
GRAD_RTOL = 1e-3  # relative to max(|g|, 1e-3 max|g|), per element


@pytest.fixture(scope='module')
def workers():
    """Two gloo ranks shared by the tests of this file (their start costs ~30 s)."""
    with DistributedWorkers(world_size=2, timeout=300) as pool:
        yield pool


def _case(family, tmp_path):
    cfg = make_case(family, str(tmp_path / family))
    import_scope(cfg)
    return cfg, build_train_dataset(cfg)


def _steps(cfg, dataset, per_step_indices, sizes):
    return [split_batch(make_batch(cfg, dataset, indices, seed=step), sizes)
            for step, indices in enumerate(per_step_indices)]


def _assert_same_step(dist, ref, lr):
    """``dist``: per rank, per step records of the DDP run; ``ref``: per step of the reference.

    Parameters are compared with an absolute tolerance of the learning rate per step: AdamW
    scales each element's update to at most about ``lr``, so an element whose gradient is rounding
    noise (the attention key bias, whose exact gradient is 0) moves by up to ``lr`` in a
    direction set by that noise. The gradients themselves are compared tightly.
    """
    for name, value in dist[0][-1]['params'].items():
        for rank in range(1, len(dist)):
            assert torch.equal(dist[rank][-1]['params'][name], value), \
                f'rank {rank} and rank 0 disagree on {name} after the steps'
    for step, expected in enumerate(ref):
        logged = mean_log_vars([records[step]['log_vars'] for records in dist])
        assert logged['loss'] == pytest.approx(expected['log_vars']['loss'], rel=LOSS_RTOL), \
            f'step {step}: mean loss of the ranks != one-process loss'
        for rank, records in enumerate(dist):
            diff = max_relative_difference(records[step]['grads'], expected['grads'])
            assert diff < GRAD_RTOL, f'step {step}, rank {rank}: gradients differ by {diff:.2e}'
    for name, value in ref[-1]['params'].items():
        torch.testing.assert_close(dist[0][-1]['params'][name], value, rtol=1e-4,
                                   atol=2 * lr * len(ref), msg=lambda m: f'{name}: {m}')


def test_selectivemae_two_processes_equal_the_global_batch(workers, tmp_path):
    cfg, dataset = _case('selectivemae', tmp_path)
    steps = _steps(cfg, dataset, [[0, 1, 2, 3], [4, 5, 6, 7]], [2, 2])
    workers.submit(cfg, steps)
    ref = run_reference_steps(cfg, steps, mode='global')
    _assert_same_step(workers.collect(), ref, cfg.optim_wrapper.optimizer.lr)


def test_deblora_stage3_two_processes_equal_the_global_batch(workers, tmp_path):
    cfg, dataset = _case('deblora', tmp_path)
    steps = _steps(cfg, dataset, [[0, 5, 9, 14], [1, 2, 3, 4]], [2, 2])
    workers.submit(cfg, steps)
    ref = run_reference_steps(cfg, steps, mode='global')
    dist = workers.collect()
    _assert_same_step(dist, ref, cfg.optim_wrapper.optimizer.lr)
    # Only the new LoRA g_phi trains; the frozen teacher and base weights get no gradient.
    assert all('lora_' in name for name in dist[0][0]['grads'])


def _sep_indices(dataset, counts):
    """Dataset indices of the first ``counts[source]`` training images of each source."""
    by_source = {}
    for i in range(len(dataset)):
        source = dataset.get_data_info(i)['source']
        by_source.setdefault(source, []).append(i)
    return [i for source, n in counts for i in by_source[source][:n]]


@pytest.mark.parametrize('layout', ['same-subsets', 'rank-lacks-subsets'])
def test_sep_multi_head_two_processes(workers, tmp_path, layout):
    cfg, dataset = _case('sep', tmp_path)
    if layout == 'same-subsets':
        # Each rank: one SOTA, one SIOR, one FAST image (the proportional sampler's batches).
        indices = _sep_indices(dataset, [('sota', 2), ('sior', 2), ('fast', 2)])
        order = [indices[0], indices[2], indices[4], indices[1], indices[3], indices[5]]
    else:
        # Rank 0: SOTA + SIOR; rank 1: FAST only, so its SOTA and SIOR classifiers get no
        # sample: their zero-weighted loss term must keep DDP's reduction complete.
        order = _sep_indices(dataset, [('sota', 2), ('sior', 1), ('fast', 3)])
    steps = _steps(cfg, dataset, [order, order], [3, 3])
    workers.submit(cfg, steps)
    ref = run_reference_steps(cfg, steps, mode='per_rank')
    dist = workers.collect()
    _assert_same_step(dist, ref, cfg.optim_wrapper.optimizer.lr)
    if layout == 'rank-lacks-subsets':
        assert 'decode.sota.loss_ce' in dist[0][0]['log_vars']
        assert 'decode.sota.loss_ce' not in dist[1][0]['log_vars']
        # The SOTA classifier learns from rank 0's samples only, at half weight (DDP's mean).
        assert dist[0][0]['grads']['decode_head.conv_seg.sota.weight'].abs().sum() > 0


def test_oriented_rcnn_vit_pyramid_two_processes(workers, tmp_path):
    cfg, dataset = _case('rotated-detection', tmp_path)
    steps = _steps(cfg, dataset, [[0, 1, 2, 3], [3, 2, 1, 0]], [2, 2])
    workers.submit(cfg, steps)
    ref = run_reference_steps(cfg, steps, mode='per_rank')
    dist = workers.collect()
    _assert_same_step(dist, ref, cfg.optim_wrapper.optimizer.lr)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(dist[0][0]['log_vars'])
