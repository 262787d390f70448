"""Process pools whose worker errors reach the caller.

``multiprocessing.Pool`` waits forever when a worker's exception cannot be unpickled in the
parent (an exception class whose ``__init__`` does not accept its ``args``) or when a worker
dies. :func:`starmap_unordered` runs jobs on a :class:`~concurrent.futures.ProcessPoolExecutor`
instead: the first failing job's exception is raised in the caller and the jobs not started yet
are cancelled; an exception that cannot be pickled arrives as a :class:`WorkerError` with its
type, message and traceback; a dead worker raises ``BrokenProcessPool``.
"""
from __future__ import annotations

import multiprocessing
import pickle
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Sequence, TypeVar

R = TypeVar('R')


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
    with ProcessPoolExecutor(nproc, mp_context=context) as executor:
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
