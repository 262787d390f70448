"""Distributed data-parallel training steps on CPU (gloo), and the one-process reference they
must equal.

:class:`DistributedWorkers` starts ``world_size`` processes (``torch.multiprocessing``,
spawn) that join a gloo process group once and then, for each config they are sent, build its
model, wrap it as the Runner does (``MMDistributedDataParallel``, ``broadcast_buffers=False``,
the config's ``find_unused_parameters`` / ``model_wrapper_cfg``), build the config's optimizer
wrapper and call ``train_step`` on each rank's part of fixed global batches: the code path of
``tools/dist_train.sh``. :func:`run_reference_steps` does the same steps in one process (with
SyncBN reverted to BatchNorm, as the Runner does outside distributed training).

DDP averages gradients over ranks, so a ``world_size``-process step equals a one-process step
whose loss is the mean of the ranks' losses (``mode='per_rank'``): each part forwarded on its
own, as on its rank (batch-norm statistics, loss normalisers and random sampling per part).
Where every loss term is a mean over samples (or tokens) and the parts are equal,
this also equals one step on the whole global batch (``mode='global'``).

A hang (a collective that never completes, e.g. a rank waiting for gradients of parameters
another rank did not use) fails by timeout instead of blocking.
"""
from __future__ import annotations

import datetime
import os
import os.path as osp
import pickle
import tempfile
import time
import traceback
from typing import Any, Dict, List, Optional, Sequence

import torch

from .train_cases import build_model, join_batches

#: Per-step record: ``log_vars`` (name -> float), ``grads`` (parameter name -> gradient the
#: optimizer stepped with), and after the last step ``params`` (name -> value).
StepRecord = Dict[str, Any]


def wrap_like_runner(model: torch.nn.Module, cfg: Dict[str, Any]) -> torch.nn.Module:
    """Wrap ``model`` for distributed training as ``mmengine.runner.Runner.wrap_model`` does.

    Needs an initialised process group.

    Args:
        model (torch.nn.Module): The model to wrap.
        cfg (dict): The config; its ``model_wrapper_cfg`` (default
            ``MMDistributedDataParallel``) and ``find_unused_parameters`` are used.

    Returns:
        torch.nn.Module: The wrapped model, with ``broadcast_buffers=False`` and
        ``device_ids=[LOCAL_RANK]`` for DDP wrappers, as the Runner passes them.
    """
    from mmengine.registry import MODEL_WRAPPERS
    from torch.nn.parallel import DistributedDataParallel
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    wrapper_cfg = cfg.get('model_wrapper_cfg')
    if wrapper_cfg is None:
        from mmengine.model import MMDistributedDataParallel
        return MMDistributedDataParallel(
            module=model, device_ids=[local_rank], broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_cfg = dict(wrapper_cfg)
    wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
    default_args: Dict[str, Any] = dict(module=model)
    if issubclass(MODEL_WRAPPERS.get(wrapper_cfg['type']), DistributedDataParallel):
        default_args['device_ids'] = [local_rank]
    return MODEL_WRAPPERS.build(wrapper_cfg, default_args=default_args)


def _record_grads(optim_wrapper, module: torch.nn.Module, store: List[Dict[str, torch.Tensor]]):
    """Keep the gradients each optimizer step uses (after reduction and clipping)."""
    names = {id(p): n for n, p in module.named_parameters()}

    def hook(optimizer, args, kwargs):
        store.append({names[id(p)]: p.grad.detach().clone()
                      for group in optimizer.param_groups for p in group['params']
                      if p.grad is not None})

    optim_wrapper.optimizer.register_step_pre_hook(hook)


def _as_floats(log_vars: Dict[str, Any]) -> Dict[str, float]:
    return {k: float(v.detach() if isinstance(v, torch.Tensor) else v)
            for k, v in log_vars.items()}


def _train_steps(rank: int, cfg: Dict[str, Any], batches: Sequence[Sequence[Dict[str, Any]]],
                 seed: int) -> List[StepRecord]:
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    cfg = Config(cfg)
    model = build_model(cfg, seed)
    ddp = wrap_like_runner(model, cfg)
    optim_wrapper = build_optim_wrapper(ddp, cfg.optim_wrapper)
    grads: List[Dict[str, torch.Tensor]] = []
    _record_grads(optim_wrapper, model, grads)
    records: List[StepRecord] = []
    for step, parts in enumerate(batches):
        torch.manual_seed(seed + 1000 * step + rank)
        log_vars = ddp.train_step(parts[rank], optim_wrapper)
        records.append(dict(log_vars=_as_floats(log_vars), grads=grads[-1]))
    records[-1]['params'] = {n: p.detach().clone() for n, p in model.named_parameters()}
    torch.distributed.barrier()
    return records


def _serve(rank: int, world_size: int, init_file: str, timeout: float, jobs, results) -> None:
    """A rank's loop: join the process group once, then run the jobs it is sent."""
    os.environ.update(LOCAL_RANK=str(rank), RANK=str(rank), WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    try:
        import mmrsfm  # noqa: F401  (upstream fixes, e.g. gloo and device_ids on CPU)
        torch.distributed.init_process_group(
            'gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size,
            timeout=datetime.timedelta(seconds=timeout))
    except BaseException:
        results.put((rank, 'error', traceback.format_exc()))
        return
    while True:
        job = jobs.get()
        if job is None:
            break
        try:
            results.put((rank, 'ok', pickle.dumps(_train_steps(rank, *pickle.loads(job)))))
        except BaseException:
            results.put((rank, 'error', traceback.format_exc()))
    torch.distributed.destroy_process_group()


class DistributedWorkers:
    """``world_size`` gloo processes that stay up between runs, so that their start (imports,
    process group) is paid once for several comparisons.

    Args:
        world_size (int): Number of processes. Defaults to 2.
        timeout (float): Seconds a run may take before its processes count as hung (they are
            then killed, and the next run starts new ones); also the process group's
            collective timeout. Defaults to 300.

    Example:
        >>> # cfg from make_case(), batches[step] = split_batch(make_batch(...), [2, 2])
        >>> with DistributedWorkers(2) as workers:  # doctest: +SKIP
        ...     records = workers.run(cfg, batches)  # records[rank][step]
    """

    def __init__(self, world_size: int = 2, timeout: float = 300.0) -> None:
        self.world_size, self.timeout = world_size, timeout
        self._procs: List[Any] = []
        self._tmp: Optional[tempfile.TemporaryDirectory] = None
        self._pending = False

    def _start(self) -> None:
        import torch.multiprocessing as mp
        context = mp.get_context('spawn')
        self._tmp = tempfile.TemporaryDirectory(prefix='mmrsfm_ddp_')
        init_file = osp.join(self._tmp.name, 'init')
        self._jobs = [context.Queue() for _ in range(self.world_size)]
        self._results = context.Queue()
        self._procs = [context.Process(target=_serve, daemon=True, args=(
            rank, self.world_size, init_file, self.timeout, self._jobs[rank], self._results))
            for rank in range(self.world_size)]
        for proc in self._procs:
            proc.start()

    def submit(self, cfg, batches: Sequence[Sequence[Dict[str, Any]]], seed: int = 0) -> None:
        """Start training ``len(batches)`` steps of ``cfg.model`` on every rank; collect the
        records with :meth:`collect` (meanwhile this process is free, e.g. for the reference).

        Args:
            cfg (Config | dict): Config with ``model`` and ``optim_wrapper`` (plus
                ``custom_imports``, ``default_scope``, ``find_unused_parameters``...).
            batches (list[list[dict]]): ``batches[step][rank]``: the collated data batch of a
                rank at a step.
            seed (int): Seed of the model weights; step ``s`` of rank ``r`` runs under seed
                ``seed + 1000 * s + r`` (random sampling in detectors). Defaults to 0.
        """
        if self._pending or not self._procs or not all(p.is_alive() for p in self._procs):
            self.close()  # an uncollected job (e.g. its caller failed) would answer this one
            self._start()
        cfg_dict = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
        # Plain pickles, not torch's shared-memory queue transfer (which handed the second rank
        # of a job numpy arrays in place of some tensors of mmpretrain data samples).
        job = pickle.dumps((cfg_dict, batches, seed))
        for jobs in self._jobs:
            jobs.put(job)
        self._deadline = time.monotonic() + self.timeout
        self._pending = True

    def collect(self) -> List[List[StepRecord]]:
        """The records of the job :meth:`submit` started.

        Returns:
            list[list[dict]]: Per rank, per step: :data:`StepRecord`.

        Raises:
            TimeoutError: a rank did not finish within ``timeout`` seconds of the submission
                (a hang); the processes are stopped.
            RuntimeError: a rank failed (the tracebacks in the message).
        """
        import queue
        self._pending = False
        answers: Dict[int, Any] = {}
        try:
            while len(answers) < self.world_size:
                rank, status, value = self._results.get(
                    timeout=max(self._deadline - time.monotonic(), 0.1))
                answers[rank] = (status, value)
                if status == 'error':
                    break
        except queue.Empty:
            self.close()
            raise TimeoutError(f'ranks {sorted(set(range(self.world_size)) - set(answers))} of '
                               f'{self.world_size} still running after {self.timeout} s (a '
                               'collective that never completed?)') from None
        errors = {rank: value for rank, (status, value) in answers.items() if status == 'error'}
        if errors:
            self.close()  # the other ranks may wait in a collective: start afresh next time
            raise RuntimeError('distributed step failed:\n' + '\n'.join(
                f'--- rank {rank}\n{text}' for rank, text in errors.items()))
        return [pickle.loads(answers[rank][1]) for rank in range(self.world_size)]

    def run(self, cfg, batches: Sequence[Sequence[Dict[str, Any]]], seed: int = 0
            ) -> List[List[StepRecord]]:
        """:meth:`submit` then :meth:`collect`.

        Args:
            cfg (Config | dict): As for :meth:`submit`.
            batches (list[list[dict]]): As for :meth:`submit`.
            seed (int): As for :meth:`submit`. Defaults to 0.

        Returns:
            list[list[dict]]: Per rank, per step: :data:`StepRecord`.

        Raises:
            TimeoutError: a rank did not finish within ``timeout`` seconds.
            RuntimeError: a rank failed.
        """
        self.submit(cfg, batches, seed)
        return self.collect()

    def close(self) -> None:
        """Stop the processes (killed if they do not stop within a few seconds)."""
        for proc, jobs in zip(self._procs, getattr(self, '_jobs', [])):
            if proc.is_alive():
                jobs.put(None)
        for proc in self._procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        self._procs, self._pending = [], False
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> 'DistributedWorkers':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def run_distributed_steps(cfg, batches: Sequence[Sequence[Dict[str, Any]]],
                          world_size: int = 2, seed: int = 0, timeout: float = 300.0
                          ) -> List[List[StepRecord]]:
    """One :meth:`DistributedWorkers.run` in processes started for it (and stopped after).

    Args:
        cfg (Config | dict): Config with ``model`` and ``optim_wrapper`` (see
            :meth:`DistributedWorkers.submit`).
        batches (list[list[dict]]): ``batches[step][rank]``: the collated data batch of a rank
            at a step.
        world_size (int): Number of processes. Defaults to 2.
        seed (int): Seed of the model weights and of each step (see
            :meth:`DistributedWorkers.submit`). Defaults to 0.
        timeout (float): Seconds the run may take before it counts as hung. Defaults to 300.0.

    Returns:
        list[list[dict]]: Per rank, per step: :data:`StepRecord`.

    Raises:
        TimeoutError: a rank did not finish within ``timeout`` seconds.
        RuntimeError: a rank failed.
    """
    with DistributedWorkers(world_size, timeout) as workers:
        return workers.run(cfg, batches, seed)


def run_reference_steps(cfg, batches: Sequence[Sequence[Dict[str, Any]]], mode: str,
                        seed: int = 0) -> List[StepRecord]:
    """The same steps as :func:`run_distributed_steps` in this process, without DDP.

    Args:
        cfg (Config): As for :func:`run_distributed_steps`.
        batches (list[list[dict]]): As for :func:`run_distributed_steps`.
        mode (str): ``'global'``: ``train_step`` on the concatenated parts (the global batch);
            ``'per_rank'``: each part forwarded separately (under the seed its rank uses) and
            the mean of their losses back-propagated: what DDP computes. The logged
            ``log_vars`` are then the mean over parts of each part's values.
        seed (int): As for :func:`run_distributed_steps`. Defaults to 0.

    Returns:
        list[dict]: Per step: :data:`StepRecord`.
    """
    if mode not in ('global', 'per_rank'):
        raise ValueError(f"mode must be 'global' or 'per_rank', got {mode!r}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the ranks: the same kernels sum in the same order
    try:
        return _reference_steps(cfg, batches, mode, seed)
    finally:
        torch.set_num_threads(threads)


def _reference_steps(cfg, batches: Sequence[Sequence[Dict[str, Any]]], mode: str,
                     seed: int) -> List[StepRecord]:
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import build_optim_wrapper
    model = revert_sync_batchnorm(build_model(cfg, seed))
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    grads: List[Dict[str, torch.Tensor]] = []
    _record_grads(optim_wrapper, model, grads)
    records: List[StepRecord] = []
    for step, parts in enumerate(batches):
        if mode == 'global':
            torch.manual_seed(seed + 1000 * step)
            log_vars = _as_floats(model.train_step(join_batches(parts), optim_wrapper))
        else:
            log_vars = _mean_of_parts_step(model, optim_wrapper, parts, seed + 1000 * step)
        records.append(dict(log_vars=log_vars, grads=grads[-1]))
    records[-1]['params'] = {n: p.detach().clone() for n, p in model.named_parameters()}
    return records


def _mean_of_parts_step(model, optim_wrapper, parts: Sequence[Dict[str, Any]],
                        seed: int) -> Dict[str, float]:
    losses, logs = [], []
    with optim_wrapper.optim_context(model):
        for rank, part in enumerate(parts):
            torch.manual_seed(seed + rank)
            data = model.data_preprocessor(part, True)
            loss, log_vars = model.parse_losses(model._run_forward(data, mode='loss'))
            losses.append(loss)
            logs.append(_as_floats(log_vars))
    optim_wrapper.update_params(sum(losses) / len(parts))
    return mean_log_vars(logs)


def mean_log_vars(logs: Sequence[Dict[str, float]]) -> Dict[str, float]:
    """Mean over ranks of each logged value, over the ranks that logged it.

    Args:
        logs (Sequence[dict[str, float]]): The ``log_vars`` of each rank.

    Returns:
        dict[str, float]: Name -> mean over the ranks that logged it.

    Examples:
        >>> sorted(mean_log_vars([dict(loss=1.0, acc=0.5), dict(loss=3.0)]).items())
        [('acc', 0.5), ('loss', 2.0)]
    """
    keys = {k for log in logs for k in log}
    return {k: sum(log[k] for log in logs if k in log) / sum(k in log for log in logs)
            for k in keys}


def max_relative_difference(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor],
                            floor: Optional[float] = None) -> float:
    """Largest ``|a - b| / max(|b|, floor)`` over all tensors (same keys), ``floor`` defaulting
    to 1e-3 of the largest ``|b|``: a scale-aware distance between two sets of gradients.

    Args:
        a (dict[str, torch.Tensor]): The tensors compared, e.g. the distributed gradients.
        b (dict[str, torch.Tensor]): The reference tensors, with the same names and shapes.
        floor (float, optional): Smallest denominator, which keeps near-zero reference entries
            from dominating. Defaults to None (1e-3 of the largest ``|b|``).

    Returns:
        float: The largest relative difference (0.0 for equal tensors).

    Raises:
        KeyError: If ``a`` and ``b`` do not hold the same names.

    Examples:
        >>> max_relative_difference({'w': torch.tensor([1.0, 2.5])},
        ...                         {'w': torch.tensor([1.0, 2.0])})
        0.25
    """
    if set(a) != set(b):
        raise KeyError(f'different tensors: only in one {sorted(set(a) ^ set(b))[:5]}')
    scale = max(float(t.abs().max()) for t in b.values() if t.numel())
    floor = 1e-3 * scale if floor is None else floor
    return max(float(((a[k] - b[k]).abs() / b[k].abs().clamp(min=floor)).max())
               for k in b if b[k].numel())
