"""The usage examples in the docstrings of tools/ name configs that exist (tools/train.py named
a removed one)."""
import ast
import glob
import os.path as osp
import re

import pytest

from tests.conftest import REPO_ROOT

TOOLS = sorted(glob.glob(osp.join(REPO_ROOT, 'tools', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('tool', TOOLS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_configs_named_in_tool_docstrings_exist(tool):
    with open(tool) as f:
        docstring = ast.get_docstring(ast.parse(f.read())) or ''
    missing = [path for path in re.findall(r'configs/[\w./-]+\.py', docstring)
               if not osp.isfile(osp.join(REPO_ROOT, path))]
    assert not missing, f'{tool}: the docstring names configs that do not exist: {missing}'
