"""Process pools whose worker errors reach the caller.

``multiprocessing.Pool`` waits forever when a worker's exception cannot be unpickled in the
parent (an exception class whose ``__init__`` does not accept its ``args``) or when a worker
dies. :func:`starmap_unordered` runs jobs on a :class:`~concurrent.futures.ProcessPoolExecutor`
instead: the first failing job's exception is raised in the caller and the jobs not started yet
are cancelled; an exception that cannot be pickled arrives as a :class:`WorkerError` with its
type, message and traceback; a dead worker raises ``BrokenProcessPool``; workers end with a
killed parent (:func:`stop_with_parent`).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Sequence, TypeVar

R = TypeVar('R')

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

WATCHDOG_INTERVAL = 0.2  # seconds between parent checks where prctl is unavailable


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where unavailable."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCHDOG_INTERVAL)
    os._exit(1)


def stop_with_parent(parent_pid: int) -> None:
    """End this (worker) process as soon as ``parent_pid``, its parent, is gone.

    Pool workers would otherwise finish their job (e.g. seconds of crop writing) after the
    tool that started them was killed with SIGKILL, which no handler can catch. On Linux
    the kernel sends this process SIGKILL when its parent exits (``prctl(PR_SET_PDEATHSIG)``,
    through ctypes: immediate, even while decoding in C); elsewhere, or if prctl fails, a daemon
    thread checks ``os.getppid()`` every :data:`WATCHDOG_INTERVAL` seconds. A parent that died
    before this call is caught by the same check. Linux sends the signal when the *thread*
    that forked the worker ends: pool workers are forked by the main thread, or by the pool's
    worker-handler thread, which lives as long as the pool. Whatever a killed worker leaves is
    at most a temporary ``.tmp_*`` file when it writes through :mod:`mmrsfm.utils.atomic_io`.

    Args:
        parent_pid (int): Pid of the process that started the pool.
    """
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent_pid, ), daemon=True,
                         name='parent-watchdog').start()
    elif os.getppid() != parent_pid:  # died between the check and prctl
        os._exit(1)


class WorkerError(RuntimeError):
    """An exception raised in a worker process whose class could not be pickled; its message
    holds the original type, message and traceback."""


def _call_in_worker(fn: Callable[..., R], args: Sequence[Any]) -> R:
    try:
        return fn(*args)
    except Exception as err:
        try:
            pickle.loads(pickle.dumps(err))
        except Exception:
            raise WorkerError(
                f'{type(err).__module__}.{type(err).__qualname__}: {err}\n(raised in a worker '
                f'process; its class cannot be pickled)\n{traceback.format_exc()}') from None
        raise


def starmap_unordered(fn: Callable[..., R],
                      jobs: Iterable[Sequence[Any]],
                      nproc: int = 1,
                      start_method: Optional[str] = None) -> Iterator[R]:
    """Yield ``fn(*job)`` for every job, computed by ``nproc`` processes, as they finish.

    With ``nproc <= 1`` the jobs run in this process, in order. Otherwise ``fn`` and the jobs
    must be picklable (``fn`` a module-level function or a ``functools.partial`` of one).

    Args:
        fn (Callable): The job function.
        jobs (Iterable[Sequence]): Positional arguments of each call.
        nproc (int): Worker processes. Defaults to 1.
        start_method (str, optional): ``'fork'``, ``'spawn'`` or ``'forkserver'``; ``None``
            uses the platform's default. Defaults to None.

    Yields:
        The results, in completion order.

    Raises:
        Exception: the first exception a job raised (a :class:`WorkerError` if its class
            cannot be pickled), after the jobs not yet started are cancelled and the running
            ones have finished.
        concurrent.futures.process.BrokenProcessPool: if a worker process died (killed, out of
            memory, crashed).

    Examples:
        >>> list(starmap_unordered(pow, [(2, 3), (3, 2)]))
        [8, 9]
    """
    if nproc <= 1:
        for job in jobs:
            yield fn(*job)
        return
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(nproc, mp_context=context, initializer=stop_with_parent,
                             initargs=(os.getpid(), )) as executor:
        pending: Dict[Future, Sequence[Any]] = {
            executor.submit(_call_in_worker, fn, tuple(job)): job for job in jobs}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    del pending[future]
                    yield future.result()
        finally:
            for future in pending:  # an error or an abandoned generator: start nothing more
                future.cancel()
