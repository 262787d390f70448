"""The code-style hooks of ``.pre-commit-config.yaml`` pass on the whole tree (CI runs them
here)."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_pre_commit_hooks_pass_on_all_files(tmp_path):
    inside = shutil.which('git') and subprocess.run(
        ['git', 'rev-parse', '--is-inside-work-tree'], cwd=REPO, capture_output=True,
        text=True).stdout.strip() == 'true'
    if not inside:
        pytest.skip('pre-commit checks the files git tracks; this copy is not a git checkout')
    venv_bin = osp.dirname(sys.executable)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / 'pre-commit'),
               PATH=os.pathsep.join([venv_bin, os.environ.get('PATH', '')]))
    result = subprocess.run([sys.executable, '-m', 'pre_commit', 'run', '--all-files',
                             '--show-diff-on-failure', '--color', 'never'],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
