"""tools/train.py and tools/test.py on a real config of each toolbox, shrunk by
mmrsfm.testing.tiny_runs to tiny generated data in the benchmark's real on-disk format, and
evaluated with the toolbox's real metric."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmrsfm.testing import TASK_CONFIGS, TASK_METRICS, make_tiny_config, write_tiny_data
from tests.conftest import REPO_ROOT, assert_finite, read_scalars, run_tool

TOOLBOX_OF_TASK = {
    'classification': 'mmpretrain',
    'detection': 'mmdet',
    'rotated-detection': 'mmrotate',
    'segmentation': 'mmseg',
}


@pytest.mark.parametrize('task', sorted(TASK_CONFIGS))
def test_train_then_test(task, tmp_path, python):
    data_root = str(tmp_path / 'data')
    work_dir = str(tmp_path / 'work')
    write_tiny_data(task, data_root)
    cfg = make_tiny_config(task, data_root, work_dir)
    assert cfg.default_scope == TOOLBOX_OF_TASK[task]
    config = osp.join(work_dir, f'{task}_tiny.py')
    with open(config, 'rb') as f:
        config_bytes = f.read()

    run_tool([python, 'tools/train.py', config, '--work-dir', work_dir], cwd=REPO_ROOT)
    records = read_scalars(work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert losses, 'no training loss was logged'
    for loss in losses:
        assert_finite(loss, 'training loss')
    metric = TASK_METRICS[task]
    evaluated = [r for r in records if metric in r]
    assert evaluated, f'validation did not report {metric}'
    assert_finite(evaluated[-1][metric], metric)
    assert 0.0 <= evaluated[-1][metric] <= 100.0

    checkpoints = sorted(glob.glob(osp.join(work_dir, '*.pth')))
    assert checkpoints, 'training saved no checkpoint'
    result = run_tool([python, 'tools/test.py', config, checkpoints[-1], '--work-dir', work_dir,
                       '--out', osp.join(work_dir, 'preds.pkl')], cwd=REPO_ROOT)
    line = [ln for ln in result.stdout.splitlines() if ln.startswith('metrics: ')][-1]
    metrics = json.loads(line[len('metrics: '):])
    assert_finite(metrics[metric], metric)
    # The checkpoint evaluated by tools/test.py is the one validated at the end of training.
    assert metrics[metric] == pytest.approx(evaluated[-1][metric], abs=1e-6)
    assert osp.getsize(osp.join(work_dir, 'preds.pkl')) > 0

    # The input config (here in its own work dir, the quick-start layout) is never rewritten;
    # each run's resolved config lies in its log dir, and the log says where.
    with open(config, 'rb') as f:
        assert f.read() == config_bytes
    resolved = sorted(glob.glob(osp.join(work_dir, '2*', f'{task}_tiny.py')))
    assert len(resolved) == 2, resolved  # one per run: train, then test
    assert f'Resolved config written to {resolved[-1]}' in result.stdout + result.stderr
    assert Config.fromfile(resolved[-1]).load_from == checkpoints[-1]
