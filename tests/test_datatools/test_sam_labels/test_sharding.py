"""Shard assignment (against hashlib directly), the shard of a process as torchrun and Slurm
describe it, and the device each shard uses."""
import hashlib

import pytest

from mmrsfm.datatools.sam_labels.sharding import (ShardSpec, resolve_shard, shard_device, shard_dir,
                                                  shard_from_env, shard_of)


def test_shard_of_is_sha256_of_the_stem():
    stems = [f'P{i:04d}__1024__{j}___0' for i in range(300) for j in (0, 824)]
    for stem in stems[:50] + ['ü-image', '']:
        expected = int(hashlib.sha256(stem.encode('utf-8')).hexdigest()[:16], 16) % 8
        assert shard_of(stem, 8) == expected
    assert {shard_of(s, 1) for s in stems} == {0}
    counts = [sum(shard_of(s, 3) == k for s in stems) for k in range(3)]
    # 600 names in 3 shards: binomial sd = sqrt(600 * 1/3 * 2/3) = 11.5; allow 4 sd.
    assert sum(counts) == 600 and all(abs(c - 200) < 46 for c in counts), counts
    with pytest.raises(ValueError, match='num_shards must be >= 1'):
        shard_of('a', 0)
    assert shard_dir('/out', 3, 8) == '/out/shards/shard-00003-of-00008'


def test_shard_from_torchrun_and_slurm():
    assert shard_from_env({}) == ShardSpec(0, 1)
    torchrun = dict(RANK='5', WORLD_SIZE='8', LOCAL_RANK='1', SLURM_PROCID='0', SLURM_NTASKS='2')
    spec = shard_from_env(torchrun)
    assert (spec.shard_id, spec.num_shards, spec.local_rank) == (5, 8, 1)
    assert 'torchrun' in spec.source
    # A Slurm array numbered from 1 (--array=1-4): the shard is the id minus the minimum.
    array = dict(SLURM_ARRAY_TASK_ID='3', SLURM_ARRAY_TASK_COUNT='4', SLURM_ARRAY_TASK_MIN='1',
                 SLURM_ARRAY_TASK_STEP='1', SLURM_PROCID='0', SLURM_NTASKS='1')
    spec = shard_from_env(array)
    assert (spec.shard_id, spec.num_shards, spec.local_rank) == (2, 4, None)
    with pytest.raises(ValueError, match='step'):
        shard_from_env(dict(array, SLURM_ARRAY_TASK_STEP='2'))
    with pytest.raises(ValueError, match=r'shard id 4 is outside 0\.\.3'):
        shard_from_env(dict(array, SLURM_ARRAY_TASK_ID='5'))  # --array=1,2,3,5: a gap
    tasks = dict(SLURM_PROCID='6', SLURM_NTASKS='16', SLURM_LOCALID='2')
    spec = shard_from_env(tasks)
    assert (spec.shard_id, spec.num_shards, spec.local_rank) == (6, 16, 2)
    with pytest.raises(ValueError, match="RANK='x' is not an integer"):
        shard_from_env(dict(RANK='x', WORLD_SIZE='2'))


def test_explicit_shard_overrides_the_launcher():
    env = dict(RANK='5', WORLD_SIZE='8', LOCAL_RANK='1')
    assert resolve_shard(None, None, env) == shard_from_env(env)
    spec = resolve_shard(2, 3, env)
    assert (spec.shard_id, spec.num_shards, spec.local_rank) == (2, 3, 1)
    assert resolve_shard(None, 1, env).num_shards == 1
    with pytest.raises(ValueError, match='--shard-id needs --num-shards'):
        resolve_shard(1, None, {})
    with pytest.raises(ValueError, match='--num-shards needs --shard-id'):
        resolve_shard(None, 4, {})
    with pytest.raises(ValueError, match=r'shard id 3 is outside 0\.\.2'):
        resolve_shard(3, 3, {})


def test_device_per_shard():
    torchrun = ShardSpec(5, 8, local_rank=5)
    assert shard_device(None, torchrun, 8) == 'cuda:5'
    assert shard_device('cuda', torchrun, 8) == 'cuda:5'
    # Each process sees only its own GPU (srun --gpus-per-task=1): always its cuda:0.
    assert shard_device('cuda', ShardSpec(5, 8, local_rank=5), 1) == 'cuda:0'
    assert shard_device('cuda:2', torchrun, 8) == 'cuda:2'
    assert shard_device(None, torchrun, 0) == 'cpu'
    assert shard_device(None, ShardSpec(1, 4), 4) == 'cuda'  # Slurm array: its visible GPU
    assert shard_device('cpu', torchrun, 8) == 'cpu'
