import json
import math
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_tool(args: List[str], cwd: str, timeout: int = 900, env: Dict[str, str] = None
             ) -> subprocess.CompletedProcess:
    """Run a repository tool in a fresh interpreter; fail the test with its output on error."""
    full_env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='2', **(env or {}))
    result = subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f'{" ".join(args)} exited {result.returncode}\n--- stdout\n'
                    f'{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}')
    return result


def read_scalars(work_dir: str) -> List[dict]:
    """All records of the (latest run's) ``vis_data/scalars.json`` under ``work_dir``."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    assert runs, f'no scalars.json under {work_dir}'
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f]


def assert_finite(value, what: str) -> None:
    assert isinstance(value, (int, float)) and math.isfinite(value), f'{what} = {value!r}'


@pytest.fixture
def python() -> str:
    """The interpreter a test runs repository tools with (such tests are marked ``slow``)."""
    return sys.executable


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Mark tool runs ``slow``: every test under ``tests/test_tools/`` and every test that takes
    the ``python`` fixture (it runs a repository tool in a fresh interpreter). Other slow tests
    (multi-process training, building every config's model) carry ``@pytest.mark.slow``.
    The fast lane deselects them: ``bash tools/run_tests.sh -m "not slow"``."""
    for item in items:
        in_tools = 'test_tools' in item.nodeid.split('::')[0].split('/')
        if in_tools or 'python' in getattr(item, 'fixturenames', ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """Drop the mmengine ``DefaultScope`` instances a test created.

    Building a Runner (or calling ``register_all_modules``) creates a global ``DefaultScope``
    that stays "current" afterwards; registries then resolve types in that toolbox's scope, so
    an mmseg test would make a later ``mmpretrain.registry.MODELS.build`` look in mmseg.
    """
    from mmengine.registry import DefaultScope
    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        del DefaultScope._instance_dict[name]
