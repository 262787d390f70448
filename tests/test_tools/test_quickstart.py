"""tools/quickstart.py as a new user runs it: a short console (no upstream warnings, no
environment report, no config dump; both still in the log file) and a word on why the tiny run's
metric is low (mAP 0.0 for the detectors)."""
import glob
import importlib.util
import os.path as osp

import pytest

from tests.conftest import REPO_ROOT, run_tool


def load_quickstart():
    spec = importlib.util.spec_from_file_location(
        'quickstart', osp.join(REPO_ROOT, 'tools', 'quickstart.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_console_is_short_and_log_file_complete(tmp_path, python):
    # Segmentation: the quickest task, and the one with the most upstream warnings.
    work_dir = str(tmp_path / 'qs')
    result = run_tool([python, 'tools/quickstart.py', '--task', 'segmentation', '--work-dir',
                       work_dir], cwd=REPO_ROOT, timeout=900)
    console = result.stdout + result.stderr
    lines = console.splitlines()
    assert len(lines) < 45, f'{len(lines)} console lines:\n{console}'
    assert max(len(line) for line in lines) < 400, console
    assert 'Warning' not in console and 'pkg_resources' not in console, console
    assert 'Config:' not in console and 'System environment' not in console, console
    assert 'Hooks will be executed' not in console, console
    assert '[quickstart] mIoU = ' in console
    assert '[quickstart] mIoU here says nothing about the model: it trained for 4 iterations' \
        in console

    log_files = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert len(log_files) == 1, log_files
    assert f'environment and config of this run: {log_files[0]}' in console
    log = open(log_files[0]).read()
    assert 'System environment:' in log and 'Config:' in log
    assert 'Hooks will be executed in the following order' in log
    assert osp.join(work_dir, 'data') in log  # the config dump names the tiny data


@pytest.mark.parametrize('task, metric', [('detection', 'pascal_voc/mAP'),
                                          ('rotated-detection', 'dota/mAP')])
def test_detection_quickstarts_explain_map_zero(task, metric):
    quickstart = load_quickstart()
    config = f'configs/benchmarks/{task}.py'
    text = '\n'.join(quickstart.explain_metric(task, metric, '2 epochs', config))
    assert f'{metric} here says nothing about the model: it trained for 2 epochs' in text
    assert f'so {metric} = 0.0 or close to it is expected here, not a fault' in text
    assert f'train {config} on the full' in text
    classification = '\n'.join(quickstart.explain_metric('classification', 'accuracy/top1',
                                                         '3 epochs', config))
    assert '0.0' not in classification
