"""starmap_unordered: results of every job, and a worker's error raised in the caller (never a
hang), whatever its exception class."""
import os
import time

import pytest

from mmrsfm.datasets.formats.annotation_error import AnnotationError
from mmrsfm.utils.parallel import WorkerError, starmap_unordered


class _TwoArgError(Exception):
    """Like AnnotationError before its fix: unpickling calls __init__(message) and fails."""

    def __init__(self, path, line):
        super().__init__(f'{path}:{line}: bad')


class _Unpicklable(Exception):

    def __reduce__(self):
        raise TypeError('cannot pickle this error')


def _job(kind, value):
    if kind == 'annotation':
        raise AnnotationError('labels/P0001.txt', value, "unknown class 'Ship'")
    if kind == 'two_args':
        raise _TwoArgError('labels/P0002.txt', value)
    if kind == 'unpicklable':
        raise _Unpicklable('labels/P0003.txt: bad')
    if kind == 'die':
        os._exit(3)
    if kind == 'slow':
        time.sleep(value)
    return value * 2


@pytest.mark.parametrize('nproc', [1, 2])
def test_results_of_every_job(nproc):
    assert sorted(starmap_unordered(_job, [('ok', i) for i in range(5)], nproc)) == [
        0, 2, 4, 6, 8]


def test_worker_errors_reach_the_caller():
    with pytest.raises(AnnotationError, match=r"P0001\.txt:7: unknown class 'Ship'") as info:
        list(starmap_unordered(_job, [('ok', 1), ('annotation', 7), ('ok', 2)], nproc=2))
    assert info.value.line == 7
    # An exception class that pickles but does not unpickle hung multiprocessing.Pool.
    with pytest.raises(WorkerError, match=r'_TwoArgError: labels/P0002\.txt:3: bad'):
        list(starmap_unordered(_job, [('two_args', 3)], nproc=2))
    with pytest.raises(WorkerError, match=r'_Unpicklable: labels/P0003\.txt: bad'):
        list(starmap_unordered(_job, [('unpicklable', 0)], nproc=2))


def test_dead_worker_raises_instead_of_hanging():
    from concurrent.futures.process import BrokenProcessPool
    start = time.monotonic()
    with pytest.raises(BrokenProcessPool):
        list(starmap_unordered(_job, [('die', 0), ('slow', 0.2)], nproc=2))
    assert time.monotonic() - start < 60


_SLEEPER = '''
import os, sys, time
from mmrsfm.utils.parallel import starmap_unordered

def job(path):
    with open(path, 'w') as f:
        f.write(str(os.getpid()))
    time.sleep(60)

if __name__ == '__main__':
    list(starmap_unordered(job, [(p, ) for p in sys.argv[1:]], nproc=2))
'''


@pytest.mark.slow  # waits for killed workers
def test_workers_end_when_the_caller_is_sigkilled(tmp_path):
    import signal
    import subprocess
    import sys
    script = tmp_path / 'sleeper.py'
    script.write_text(_SLEEPER)
    marks = [tmp_path / 'w0.pid', tmp_path / 'w1.pid']
    proc = subprocess.Popen([sys.executable, str(script), *map(str, marks)],
                            env=dict(os.environ, PYTHONPATH=os.getcwd()))
    pids = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(m.exists() and m.read_text()
                                                      for m in marks):
            time.sleep(0.05)
        pids = [int(m.read_text()) for m in marks]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(os.path.exists(f'/proc/{p}') for p in pids):
            time.sleep(0.05)
        assert not [p for p in pids if os.path.exists(f'/proc/{p}')], 'workers outlived it'
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
