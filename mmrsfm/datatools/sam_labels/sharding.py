"""Splitting SAM label generation over processes: which shard an image belongs to, which shard
this process is (from the command line, ``torchrun`` or Slurm) and which device it uses.

An image belongs to shard ``sha256(stem) mod num_shards`` (:func:`shard_of`). The assignment
depends on nothing but the image name and the number of shards, so it never moves when images
or annotation files are added, removed or fixed between runs: every shard stays resumable on its
own, and no image can end up done by two shards. Shards are balanced statistically (binomial:
105k SAMRS images over 8 shards give 13.1k each with a standard deviation of about 110).

Shard ``k`` of ``N`` writes a complete label folder of its own,
``OUT/shards/shard-<k>-of-<N>/`` (five digits each, see :func:`shard_dir`); the merge step
(:func:`~mmrsfm.datatools.sam_labels.shard_merge.merge_shards`) checks them and assembles
``OUT``.
"""
from __future__ import annotations

import hashlib
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Mapping, Optional

#: Folder under the output folder that holds one sub-folder per shard.
SHARDS_DIR = 'shards'
SHARD_DIR_PATTERN = re.compile(r'^shard-(\d{5})-of-(\d{5})$')


def shard_of(stem: str, num_shards: int) -> int:
    """The shard (``0 .. num_shards - 1``) an image belongs to.

    Args:
        stem (str): Image name without folder and suffix.
        num_shards (int): Number of shards (>= 1).

    Returns:
        int: The first 8 bytes of the SHA-256 of ``stem`` (UTF-8), big-endian, modulo
        ``num_shards``.

    Raises:
        ValueError: If ``num_shards`` < 1.
    """
    if num_shards < 1:
        raise ValueError(f'num_shards must be >= 1, got {num_shards}')
    digest = hashlib.sha256(stem.encode('utf-8')).digest()
    return int.from_bytes(digest[:8], 'big') % num_shards


def shard_dir(out_dir: str, shard_id: int, num_shards: int) -> str:
    """The output folder of one shard.

    Args:
        out_dir (str): The output folder of the whole run (``--out``).
        shard_id (int): The shard, ``0 .. num_shards - 1``.
        num_shards (int): Number of shards.

    Returns:
        str: ``out_dir/shards/shard-KKKKK-of-NNNNN``.
    """
    return osp.join(out_dir, SHARDS_DIR, f'shard-{shard_id:05d}-of-{num_shards:05d}')


@dataclass
class ShardSpec:
    """The shard a process labels.

    Args:
        shard_id (int): This process's shard, ``0 .. num_shards - 1``.
        num_shards (int): Number of shards; 1 means an unsharded run.
        local_rank (int, optional): Index of this process on its machine when the launcher
            gives one (``torchrun``'s ``LOCAL_RANK``, Slurm's ``SLURM_LOCALID``); it picks the
            GPU. Defaults to None.
        source (str): Where the values came from (printed at start). Defaults to 'default'.

    Raises:
        ValueError: If ``num_shards`` < 1 or ``shard_id`` is outside ``0 .. num_shards - 1``.

    Examples:
        >>> ShardSpec(2, 8)
        ShardSpec(shard_id=2, num_shards=8, local_rank=None, source='default')
    """
    shard_id: int
    num_shards: int
    local_rank: Optional[int] = None
    source: str = 'default'

    def __post_init__(self) -> None:
        if self.num_shards < 1:
            raise ValueError(f'the number of shards must be >= 1, got {self.num_shards} '
                             f'({self.source})')
        if not 0 <= self.shard_id < self.num_shards:
            raise ValueError(f'shard id {self.shard_id} is outside 0..{self.num_shards - 1} '
                             f'({self.source})')


def _int(env: Mapping[str, str], key: str) -> int:
    try:
        return int(env[key])
    except ValueError:
        raise ValueError(f'environment variable {key}={env[key]!r} is not an integer') from None


def shard_from_env(env: Optional[Mapping[str, str]] = None) -> ShardSpec:
    """The shard of this process as its launcher describes it, first match wins.

    1. ``torchrun`` (or any launcher setting them): ``RANK`` of ``WORLD_SIZE``, GPU
       ``LOCAL_RANK``.
    2. A Slurm job array: ``SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN`` of
       ``SLURM_ARRAY_TASK_COUNT`` (ids must be contiguous, e.g. ``--array=0-7``).
    3. Slurm tasks (``srun``): ``SLURM_PROCID`` of ``SLURM_NTASKS``, GPU ``SLURM_LOCALID``.
    4. Otherwise one shard (an unsharded run).

    Args:
        env (Mapping[str, str], optional): The environment. Defaults to None (``os.environ``).

    Returns:
        ShardSpec: The shard, with ``source`` naming the variables used.

    Raises:
        ValueError: A variable that is not an integer, a Slurm array with a step or with gaps,
            or a shard id outside the shard count.
    """
    env = os.environ if env is None else env
    if 'RANK' in env and 'WORLD_SIZE' in env:
        local = _int(env, 'LOCAL_RANK') if 'LOCAL_RANK' in env else None
        return ShardSpec(_int(env, 'RANK'), _int(env, 'WORLD_SIZE'), local,
                         'torchrun: RANK / WORLD_SIZE')
    if 'SLURM_ARRAY_TASK_ID' in env and 'SLURM_ARRAY_TASK_COUNT' in env:
        if env.get('SLURM_ARRAY_TASK_STEP', '1') != '1':
            raise ValueError('a Slurm array with a step cannot number shards: use contiguous '
                             'ids, e.g. --array=0-7')
        minimum = _int(env, 'SLURM_ARRAY_TASK_MIN') if 'SLURM_ARRAY_TASK_MIN' in env else 0
        return ShardSpec(_int(env, 'SLURM_ARRAY_TASK_ID') - minimum,
                         _int(env, 'SLURM_ARRAY_TASK_COUNT'), None,
                         'Slurm array: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN / '
                         'SLURM_ARRAY_TASK_COUNT (array ids must be contiguous)')
    if 'SLURM_PROCID' in env and 'SLURM_NTASKS' in env:
        local = _int(env, 'SLURM_LOCALID') if 'SLURM_LOCALID' in env else None
        return ShardSpec(_int(env, 'SLURM_PROCID'), _int(env, 'SLURM_NTASKS'), local,
                         'Slurm tasks: SLURM_PROCID / SLURM_NTASKS')
    return ShardSpec(0, 1)


def resolve_shard(shard_id: Optional[int] = None, num_shards: Optional[int] = None,
                  env: Optional[Mapping[str, str]] = None) -> ShardSpec:
    """The shard of this process: ``--shard-id/--num-shards`` when given, else the launcher's.

    Args:
        shard_id (int, optional): ``--shard-id``. Defaults to None.
        num_shards (int, optional): ``--num-shards``. Defaults to None.
        env (Mapping[str, str], optional): The environment for :func:`shard_from_env`.
            Defaults to None (``os.environ``).

    Returns:
        ShardSpec: The shard. With explicit values, ``local_rank`` still comes from the
        launcher when it sets one (so ``torchrun ... --num-shards 8`` keeps one GPU per process).

    Raises:
        ValueError: If only one of ``shard_id`` and ``num_shards`` is given, or they are out of
            range.
    """
    if shard_id is None and num_shards is None:
        return shard_from_env(env)
    if num_shards is None:
        raise ValueError('--shard-id needs --num-shards')
    if shard_id is None:
        if num_shards == 1:
            return ShardSpec(0, 1, source='--num-shards 1')
        raise ValueError('--num-shards needs --shard-id (or a torchrun / Slurm launcher)')
    launcher = shard_from_env(env)
    return ShardSpec(shard_id, num_shards, launcher.local_rank, '--shard-id / --num-shards')


def shard_device(device: Optional[str], spec: ShardSpec, cuda_devices: int) -> str:
    """The device of one shard's process.

    Args:
        device (str, optional): ``--device``. ``None`` or ``'cuda'`` (without index) with
            a launcher's local rank becomes ``cuda:<local_rank mod cuda_devices>``: one GPU per
            process on a machine, also when each process sees only its own GPU.
            Defaults to ``'cuda'`` (or ``'cpu'`` without GPUs) when ``None``.
        spec (ShardSpec): The process's shard.
        cuda_devices (int): Number of visible CUDA devices (``torch.cuda.device_count()``).

    Returns:
        str: The device string, e.g. ``'cuda:3'`` or ``'cpu'``.
    """
    if device is None:
        device = 'cuda' if cuda_devices > 0 else 'cpu'
    if device == 'cuda' and spec.local_rank is not None and cuda_devices > 0:
        return f'cuda:{spec.local_rank % cuda_devices}'
    return device
