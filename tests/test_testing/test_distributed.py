"""The DDP harness (mmrsfm.testing.distributed) itself: what DDP refuses reaches the test as an
error with DDP's message, not as a hang, and with ``find_unused_parameters=True`` (as a config
would set it) the same model trains and equals the one-process reference. ~1-2 min on 2 CPU
cores (the ranks start twice: a failed run stops them)."""
import pytest
import torch
from mmengine.config import Config

from mmrsfm.testing.distributed import DistributedWorkers, run_reference_steps

pytestmark = pytest.mark.slow  # spawns training processes


def _cfg(find_unused: bool) -> Config:
    return Config(dict(
        model=dict(type='ToyWithUnusedBranch'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        custom_imports=dict(imports=['tests.test_testing.ddp_toy_models']),
        default_scope='mmengine',
        find_unused_parameters=find_unused))


def _steps():
    gen = torch.Generator().manual_seed(0)
    return [[dict(inputs=torch.rand(2, 2, generator=gen)) for _rank in range(2)]
            for _step in range(2)]


def test_unused_parameters_fail_loudly_and_the_config_switch_fixes_them():
    steps = _steps()
    with DistributedWorkers(world_size=2, timeout=240) as workers:
        dist = workers.run(_cfg(find_unused=True), steps)
        ref = run_reference_steps(_cfg(find_unused=True), steps, mode='per_rank')
        for name, value in ref[-1]['params'].items():
            torch.testing.assert_close(dist[1][-1]['params'][name], value)
        assert set(dist[0][0]['grads']) == {'used.weight', 'used.bias'}
        # Without the switch DDP stops at the second step: the unused branch never reduced.
        with pytest.raises(RuntimeError, match='did not receive grad|finished reduction'):
            workers.run(_cfg(find_unused=False), steps)
