"""Entry-point console hygiene (mmrsfm.utils.run_logging): mmengine's environment report and
config dump reach the log file but not the console; known upstream warnings are silenced, others
are not."""
import logging
import os
import subprocess
import sys

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmrsfm.utils.run_logging import QuietSetupLogsMixin, SetupLogFilter, keep_setup_logs_in_file
from tests.conftest import REPO_ROOT


class _Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.fc(inputs)


def _build(runner_cls, work_dir, name):
    return runner_cls(model=_Linear(), work_dir=work_dir, experiment_name=name,
                      cfg=dict(marker_key='marker_value', work_dir=work_dir))


def test_setup_report_goes_to_the_log_file_only(tmp_path, capsys):
    plain = _build(Runner, str(tmp_path / 'plain'), 'plain_runner')
    out = capsys.readouterr().out
    # Without the mix-in mmengine prints both on the console (what the quick start showed).
    assert 'System environment:' in out and 'Config:' in out and 'marker_value' in out
    del plain

    quiet_cls = type('Runner', (QuietSetupLogsMixin, Runner), {})
    runner = _build(quiet_cls, str(tmp_path / 'quiet'), 'quiet_runner')
    out = capsys.readouterr().out
    assert 'System environment:' not in out
    assert 'Config:' not in out and 'marker_value' not in out
    log_file = runner.logger.log_file
    assert f'environment and config of this run: {log_file}' in out
    log = open(log_file).read()
    assert 'System environment:' in log and 'Config:' in log and 'marker_value' in log
    # Other messages still reach the console.
    runner.logger.info('training goes on')
    assert 'training goes on' in capsys.readouterr().out


def test_filter_only_on_console_handlers(tmp_path):
    logger = logging.getLogger('mmrsfm_test_run_logging')
    console = logging.StreamHandler(sys.stderr)
    file_handler = logging.FileHandler(str(tmp_path / 'x.log'))
    logger.handlers = [console, file_handler]
    try:
        keep_setup_logs_in_file(logger)
        keep_setup_logs_in_file(logger)
        assert sum(isinstance(f, SetupLogFilter) for f in console.filters) == 1
        assert not any(isinstance(f, SetupLogFilter) for f in file_handler.filters)
    finally:
        file_handler.close()
        logger.handlers = []


@pytest.mark.slow  # imports every toolbox in a fresh interpreter
def test_known_upstream_warnings_are_filtered_others_kept():
    # Loading a config with `mmdet::` bases makes mmengine import pkg_resources, whose
    # deprecation warning printed three times per quick start.
    code = ('import warnings; from mmengine.config import Config; '
            'from mmrsfm.utils.run_logging import filter_upstream_warnings; '
            'filter_upstream_warnings(); '
            'Config.fromfile("configs/benchmarks/detection/faster-rcnn_r50_fpn_1x_dior.py"); '
            'warnings.warn("an unrelated warning", UserWarning)')
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=REPO_ROOT,
                                                PYTHONWARNINGS=''))
    assert result.returncode == 0, result.stderr
    assert 'pkg_resources' not in result.stderr
    assert 'an unrelated warning' in result.stderr
